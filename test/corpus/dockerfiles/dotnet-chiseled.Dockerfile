# Taught by: dotnet/dotnet-docker samples/releasesapi/Dockerfile.chiseled (non-root by default)
FROM mcr.microsoft.com/dotnet/sdk:8.0 AS build
WORKDIR /source
COPY . .
RUN dotnet publish -o /app
FROM mcr.microsoft.com/dotnet/aspnet:8.0-jammy-chiseled
WORKDIR /app
COPY --from=build /app .
ENTRYPOINT ["./releasesapi"]
