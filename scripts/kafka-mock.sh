#!/usr/bin/env bash
# Starts librdkafka's in-process mock Kafka cluster (through Debian's kcat) in the background, waits
# for its first broker port, and prints shell assignments for eval:
#   eval "$(scripts/kafka-mock.sh)"     # sets MONETA_TEST_KAFKA_BROKERS=127.0.0.1:P1,… and KAFKA_PID
#   scripts/kafka-mock.sh --address     # prints only the bootstrap address
# The cluster lives as long as the kcat process (pid also in $KAFKA_MOCK_PIDFILE, default
# /tmp/moneta-kafka-mock.pid); stop it with  kill "$KAFKA_PID".
set -euo pipefail
brokers=${KAFKA_MOCK_BROKERS:-3}
pidfile=${KAFKA_MOCK_PIDFILE:-/tmp/moneta-kafka-mock.pid}
log=${KAFKA_MOCK_LOG:-/tmp/moneta-kafka-mock.log}
command -v kcat >/dev/null || { echo "kcat is not installed (apt-get install kcat)" >&2; exit 1; }
: >"$log"
# -C on a topic that never gets data keeps kcat (and so the cluster) alive; -d mock logs the address.
nohup kcat -b localhost:1 -C -t warmup -X test.mock.num.brokers="$brokers" -d mock >"$log" 2>&1 </dev/null &
echo $! >"$pidfile"
for _ in $(seq 1 100); do
  addr=$(grep -ao 'bootstrap.servers=[0-9.:,]*' "$log" | head -1 | cut -d= -f2 || true)
  if [ -n "$addr" ]; then
    first=${addr%%,*}
    if (exec 3<>"/dev/tcp/${first%:*}/${first##*:}") 2>/dev/null; then
      if [ "${1:-}" = "--address" ]; then
        echo "$addr"
      else
        echo "MONETA_TEST_KAFKA_BROKERS=$addr; KAFKA_PID=$(cat "$pidfile")"
      fi
      exit 0
    fi
  fi
  sleep 0.1
done
kill "$(cat "$pidfile")" 2>/dev/null || true
echo "kafka mock cluster did not start; see $log" >&2
exit 1
