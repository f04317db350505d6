#!/bin/bash
# The first /desk/items/ of a fresh web server process (scripts/web.sh, one granian worker on a
# free port, the local DATABASE_URL with the demo data and an operator), with the warm-up turned
# off (WARM_UP=none) and on, alternating. WAIT: seconds between the port opening and the request
# (a server is rarely asked within its first seconds). bench/README.md has the numbers.
#   bash bench/first_request.sh            MODES="none default" WAIT=15 bash bench/first_request.sh
cd "$(dirname "$0")/.." || exit 1
set -a; source var/services.env; set +a
SID=$(.venv/bin/python manage.py shell -c "
from django.test import Client
from geoportal.models import User
c = Client(); c.force_login(User.objects.get(username='operator')); print(c.cookies['sessionid'].value)" 2>/dev/null | tail -1)
for mode in ${MODES:-none default none default}; do
  PORT=$(.venv/bin/python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  if [ "$mode" = none ]; then export WARM_UP=none; else unset WARM_UP; fi
  WEB_WORKERS=1 PORT=$PORT scripts/web.sh >"var/first-request-$mode.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do (echo > "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done
  sleep "${WAIT:-15}"
  first=$(curl -s -o /dev/null -b "sessionid=$SID" -w "%{time_total} s (HTTP %{http_code})" "http://127.0.0.1:$PORT/desk/items/")
  second=$(curl -s -o /dev/null -b "sessionid=$SID" -w "%{time_total} s" "http://127.0.0.1:$PORT/desk/items/")
  echo "WARM_UP=$mode: first /desk/items/ $first, second $second (load $(cut -d' ' -f1 /proc/loadavg))"
  kill "$pid"; wait "$pid" 2>/dev/null
done
grep -h '"geoportal.warmup"' var/first-request-default.log 2>/dev/null | tail -2
