#!/usr/bin/env bash
# Starts librdkafka's in-process mock Kafka cluster (through Debian's kcat) in the background and
# prints its bootstrap address, e.g.  export MONETA_TEST_KAFKA_BROKERS=$(scripts/kafka-mock.sh)
# The cluster lives as long as the kcat process: its pid is written to $KAFKA_MOCK_PIDFILE
# (default /tmp/moneta-kafka-mock.pid); stop it with  kill "$(cat /tmp/moneta-kafka-mock.pid)".
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
  addr=$(grep -o 'bootstrap.servers=[0-9.:,]*' "$log" | head -1 | cut -d= -f2 || true)
  if [ -n "$addr" ]; then
    first=${addr%%,*}
    if (exec 3<>"/dev/tcp/${first%:*}/${first##*:}") 2>/dev/null; then
      echo "$addr"
      exit 0
    fi
  fi
  sleep 0.1
done
echo "kafka mock cluster did not start; see $log" >&2
exit 1
