# The SPA, served by nginx, which also proxies /api/ to the API so the app is same-origin.
FROM nginx:1.27-alpine
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY frontend /usr/share/nginx/html
EXPOSE 80
