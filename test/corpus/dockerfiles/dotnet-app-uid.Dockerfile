# Taught by: dotnet/dotnet-docker samples/aspnetapp/Dockerfile (USER $APP_UID set by the base image)
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /source
COPY aspnetapp/*.csproj .
RUN dotnet restore
COPY aspnetapp/. .
RUN dotnet publish --no-restore -o /app
FROM mcr.microsoft.com/dotnet/aspnet:8.0
EXPOSE 8080
WORKDIR /app
COPY --from=build /app .
USER $APP_UID
ENTRYPOINT ["./aspnetapp"]
