# Taught by: keycloak/keycloak quarkus/container/Dockerfile (USER 1000 on ubi9-micro)
FROM registry.access.redhat.com/ubi9-micro
COPY keycloak /opt/keycloak
RUN echo "keycloak:x:0:root" >> /etc/group && echo "keycloak:x:1000:0:keycloak user:/opt/keycloak:/sbin/nologin" >> /etc/passwd
USER 1000
EXPOSE 8080
ENTRYPOINT [ "/opt/keycloak/bin/kc.sh" ]
