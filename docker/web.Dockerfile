# The SPA, served by nginx, which also proxies /api/ to the API so the app is same-origin.
FROM nginx:1.27-alpine
COPY docker/nginx.conf /etc/nginx/nginx.conf
COPY frontend /usr/share/nginx/html
RUN printf 'window.DIGITS_CONFIG = { apiBase: "" };\n' > /usr/share/nginx/html/config.js
EXPOSE 80
