# Taught by: docker-library/php 8.3/bookworm/apache/Dockerfile (apache binds :80 as root, then www-data)
FROM php:8.3-apache
RUN docker-php-ext-install pdo_mysql
COPY src/ /var/www/html/
EXPOSE 80
CMD ["apache2-foreground"]
