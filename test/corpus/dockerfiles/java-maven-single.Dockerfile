# Taught by: docker/awesome-compose spring-postgres/backend/Dockerfile (maven build image shipped)
FROM maven:3.9-eclipse-temurin-17
WORKDIR /workdir/server
COPY pom.xml /workdir/server/pom.xml
RUN mvn dependency:go-offline
COPY src /workdir/server/src
RUN mvn package
CMD ["java", "-jar", "target/app.jar"]
