FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
        gdal-bin libgdal32 libgeos-c1v5 libproj25 npm gettext nginx \
    && rm -rf /var/lib/apt/lists/* /etc/nginx/sites-enabled/default
WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --no-cache-dir -e . && scripts/vendor_static.sh \
    && DEBUG=1 DATABASE_URL=postgis://x:x@localhost/x python manage.py collectstatic --noinput -v 0
ENV PYTHONUNBUFFERED=1
EXPOSE 8000
ENV HOST=0.0.0.0 PORT=8000
CMD ["scripts/web.sh"]
