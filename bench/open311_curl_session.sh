#!/usr/bin/env bash
# Records an Open311 curl session against a runserver with a database of its own (dropped and
# recreated: geoportal_curl_open311), a Celery worker and Redis DB 9, into var/open311-curl.txt.
# Usage: bash bench/open311_curl_session.sh   (about 2 minutes; it waits for a fresh rate-limit minute)
set -u
cd "$(dirname "$0")/.."
OUT="$PWD/var/open311-curl.txt"
W=/tmp/o311curl; mkdir -p $W
run() { printf '\n$ %s\n' "$1" >> "$OUT"; ( eval "$1" ) >> "$OUT" 2>&1 </dev/null; }
note() { printf '\n# %s\n' "$1" >> "$OUT"; }
set -a; source var/services.env; set +a
export DATABASE_URL="${DATABASE_URL%/*}/geoportal_curl_open311" REDIS_URL=redis://127.0.0.1:6379/9 \
       MEDIA_ROOT=$W/media EMAIL_URL=console:// OPEN311_ANON_RATE_PER_MINUTE=40 CACHE_KEY_PREFIX=curl-open311-$(date +%s)
: > "$OUT"
cat >> "$OUT" <<HDR
# Open311 GeoReport v2: a curl session (issue 8 closing note). Recorded $(date -u +%Y-%m-%dT%H:%MZ) against a fresh
# database of its own (geoportal_curl_open311); runserver on 127.0.0.1:8766 and a Celery worker (photo public copies),
# both stopped afterwards by their PIDs. OPEN311_ANON_RATE_PER_MINUTE=40 for the run so the rate limit shows quickly.
# Commands are exact; long answers trimmed with jq/head. Shell: bash; O=http://127.0.0.1:8766/open311/v2
HDR
note "A database of its own, the demo region and the category tree; keys issued by the administrator"
export PGPASSWORD=$(python3 -c "import os,urllib.parse as u;print(u.urlsplit(os.environ['DATABASE_URL']).password)")
dropdb --if-exists -h 127.0.0.1 -U geoportal geoportal_curl_open311 </dev/null 2>/dev/null
createdb -h 127.0.0.1 -U geoportal geoportal_curl_open311 </dev/null
psql -q -h 127.0.0.1 -U geoportal geoportal_curl_open311 -c "CREATE EXTENSION IF NOT EXISTS postgis" </dev/null >/dev/null
unset PGPASSWORD
printf '\n$ createdb geoportal_curl_open311 && psql -c "CREATE EXTENSION postgis"   # a database of its own\n' >> "$OUT"
run ".venv/bin/python manage.py migrate -v 0 && .venv/bin/python manage.py seed_demo --appeals 0 --projects 0 --quiet && .venv/bin/python manage.py load_categories"
run "KEY=\$(.venv/bin/python manage.py api_key issue --owner operator --name 'Городское приложение' --rate 30); echo \"client key: \${KEY:0:8}… (printed once)\"; echo \$KEY > $W/key"
run "OPKEY=\$(.venv/bin/python manage.py api_key issue --owner operator --name 'Рабочее место оператора'); echo \"operator key: \${OPKEY:0:8}…\"; echo \$OPKEY > $W/opkey"
run ".venv/bin/python manage.py api_key list"
run ".venv/bin/python manage.py shell -c \"from issues.models import Category; from open311.models import CategoryAttribute as A; A.objects.create(category=Category.objects.get(code='transport-schedule'), code='route', datatype='singlevaluelist', required=True, description='Номер маршрута', values=[{'key': '22', 'name': 'Автобус 22'}, {'key': '61', 'name': 'Автобус 61'}]); print('question added')\""
.venv/bin/celery -A geoportal purge -f >/dev/null 2>&1
.venv/bin/python manage.py runserver 127.0.0.1:8766 --noreload > $W/runserver.log 2>&1 & echo $! > $W/runserver.pid
.venv/bin/celery -A geoportal worker -P solo -n curl-open311@%h --without-gossip --without-mingle > $W/worker.log 2>&1 & echo $! > $W/worker.pid
sleep 8
KEY=$(cat $W/key); OPKEY=$(cat $W/opkey); O=http://127.0.0.1:8766/open311/v2; API=http://127.0.0.1:8766/api/v1
export KEY OPKEY O API W
note "Discovery (XML is the spec's required format; .json is the same document)"
run "curl -s \$O/discovery.xml"
run "curl -s \$O/discovery.json | jq -c ."
note "Services: active leaf categories, group = parent category; metadata=true where a category has questions"
run "curl -s \$O/services.json | jq length; curl -s \$O/services.json | jq -c '.[] | select(.service_code==\"transport-schedule\" or .service_code==\"light-street\")'"
run "curl -s \$O/services.xml | head -c 600; echo"
run "curl -s \$O/services/transport-schedule.xml; echo"
run "curl -s -w ' HTTP %{http_code}\n' \$O/services/no-such.json"
note "POST without a key, with a wrong key, with bad coordinates / an unknown service / a missing required answer"
run "curl -s -w ' HTTP %{http_code}\n' -X POST \$O/requests.json -d service_code=transport-schedule -d lat=56.3269 -d long=44.0059 -d 'description=Автобус не пришёл вовремя.'"
run "curl -s -w ' HTTP %{http_code}\n' -X POST \$O/requests.xml -d api_key=wrong -d service_code=transport-schedule"
run "curl -s -w ' HTTP %{http_code}\n' -X POST \$O/requests.json -d api_key=\$KEY -d service_code=transport-schedule -d lat=95 -d long=44 -d 'attribute[route]=22' -d 'description=Автобус 22 не пришёл вовремя.'"
run "curl -s -w ' HTTP %{http_code}\n' -X POST \$O/requests.json -d api_key=\$KEY -d service_code=teleport -d lat=56.3269 -d long=44.0059"
run "curl -s -w ' HTTP %{http_code}\n' -X POST \$O/requests.json -d api_key=\$KEY -d service_code=transport-schedule -d lat=55.75 -d long=37.61 -d email=broken -d 'description=Автобус 22 не пришёл вовремя.'"
note "POST with the key (form body; the query string works too), a photo, the requester's name and contacts"
run ".venv/bin/python -c \"from PIL import Image; Image.new('RGB',(640,480),'orange').save('$W/stop.jpg')\"; ls -l $W/stop.jpg | cut -d' ' -f5"
run "curl -s -X POST \"\$O/requests.xml?api_key=\$KEY\" -F service_code=transport-schedule -F lat=56.3275 -F long=44.0062 -F 'attribute[route]=61' -F 'description=Автобус 61 не ходит после 21 часа, остановка Минина.' -F 'address_string=пл. Минина и Пожарского, 1' -F first_name=Иван -F last_name=Клиентов -F email=ivan.client@example.org -F phone='+7 900 111-22-33' -F media=@$W/stop.jpg | tee $W/posted.xml; echo"
TOKEN=$(python3 -c "import xml.etree.ElementTree as E;print(E.parse('$W/posted.xml').getroot().findtext('request/token'))"); export TOKEN
run "curl -s \$O/tokens/\$TOKEN.json; echo   # deferred: an operator registers the appeal first"
note "The operator registers it (here through /api/v1/ with the operator's X-Api-Key); the token then resolves"
run "ID=\$(curl -s -H \"X-Api-Key: \$OPKEY\" \"\$API/appeals/?scope=work&status=submitted\" | jq '.features[0].id'); echo appeal \$ID; curl -s -X POST -H \"X-Api-Key: \$OPKEY\" \$API/appeals/\$ID/register/ | jq -c '{status: .properties.status, agency: .properties.agency, deadline_at: .properties.deadline_at}'"
run "curl -s \$O/tokens/\$TOKEN.xml; echo"
sleep 3
run "curl -s \$O/requests.json | jq ."
run "RID=\$(curl -s \$O/tokens/\$TOKEN.json | jq -r '.[0].service_request_id'); curl -s \$O/requests/\$RID.xml; echo"
note "Filters: ids, service_code, status, dates (at most 90 days apart), pages"
run "curl -s \"\$O/requests.json?service_code=transport-schedule&status=open\" | jq -c 'map({service_request_id, status, service_code})'"
run "curl -s \"\$O/requests.json?status=closed\" | jq -c ."
run "curl -s -w ' HTTP %{http_code}\n' \"\$O/requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z\""
run "curl -s \"\$O/requests.json?start_date=2026-01-01&end_date=2026-03-01\" | jq -c ."
run "curl -s \"\$O/requests.json?page=1&page_size=1\" | jq length; curl -s \"\$O/requests.json?page=2&page_size=1\" | jq length"
run "curl -s -w ' HTTP %{http_code}\n' \"\$O/requests.json?jurisdiction_id=elsewhere\"; curl -s -o /dev/null -w 'empty jurisdiction_id: HTTP %{http_code}\n' \"\$O/requests.json?jurisdiction_id=\""
note "No personal data in any GET; CORS on public reads only; the same key on /api/v1/"
run "for u in requests.json requests.xml tokens/\$TOKEN.json; do curl -s \$O/\$u; done | grep -c -i -E 'Клиентов|ivan.client|111-22-33' || true"
run "curl -s -D - -o /dev/null -H 'Origin: https://app.example.org' \$O/services.json | grep -i -E '^(HTTP|access-control)'"
run "curl -s -D - -o /dev/null -X OPTIONS -H 'Origin: https://app.example.org' -H 'Access-Control-Request-Method: POST' \$O/requests.json | grep -i -E '^(HTTP|access-control)' || echo '(no CORS headers for a POST preflight)'"
run "curl -s -o /dev/null -w 'GET /api/v1/appeals/?scope=work with X-Api-Key: HTTP %{http_code}\n' -H \"X-Api-Key: \$OPKEY\" \"\$API/appeals/?scope=work\"; curl -s -w ' HTTP %{http_code}\n' -H 'X-Api-Key: nope' \"\$API/appeals/?scope=work\""
note "Revocation takes effect at once"
run ".venv/bin/python manage.py api_key revoke --prefix \${KEY:0:8} && curl -s -w ' HTTP %{http_code}\n' -X POST \$O/requests.json -d api_key=\$KEY -d service_code=transport-schedule"
note "An existing client library: georeport 0.3.1 (PyPI) through bench/open311_client.py"
run ".venv/bin/python bench/open311_client.py --base http://127.0.0.1:8766 --api-key \$(.venv/bin/python manage.py api_key issue --owner operator --name georeport) --operator-key \$OPKEY"
note "Rate limit: 40 anonymous reads a minute per IP here (120 by default; fixed one-minute windows in Redis); each key has its own"
run "sleep \$((61 - 10#\$(date +%S))); date +%T   # a fresh one-minute window"
run "for i in \$(seq 1 45); do curl -s -o /dev/null -w '%{http_code} ' \$O/services.json; done; echo; curl -s -D - \$O/services.json | grep -i -E '^(HTTP|retry-after)|code'"
kill "$(cat $W/runserver.pid)" "$(cat $W/worker.pid)"
sleep 2
printf '\n# runserver and worker stopped (PIDs %s, %s)\n' "$(cat $W/runserver.pid)" "$(cat $W/worker.pid)" >> "$OUT"
