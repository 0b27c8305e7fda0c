# Taught by: microsoft/dotnet-framework-docker samples/aspnetapp/Dockerfile (servercore, ContainerAdministrator)
FROM mcr.microsoft.com/dotnet/framework/aspnet:4.8-windowsservercore-ltsc2022
WORKDIR /inetpub/wwwroot
COPY aspnetapp/. ./
