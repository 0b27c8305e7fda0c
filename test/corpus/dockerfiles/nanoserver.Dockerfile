# Taught by: dotnet/dotnet-docker src/runtime/8.0/nanoserver-ltsc2022/amd64/Dockerfile (runs as ContainerUser)
FROM mcr.microsoft.com/dotnet/runtime:8.0-nanoserver-ltsc2022
WORKDIR C:\\app
COPY bin/Release/net8.0/publish/ .
ENTRYPOINT ["dotnet", "app.dll"]
