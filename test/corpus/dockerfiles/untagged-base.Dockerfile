# Taught by: hadolint/hadolint test fixtures for DL3006 (FROM without a tag)
FROM centos
RUN yum install -y httpd && yum clean all
EXPOSE 8080
CMD ["/usr/sbin/httpd", "-DFOREGROUND"]
