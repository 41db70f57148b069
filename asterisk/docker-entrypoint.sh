#!/bin/sh
# Runs as root, fixes the directories that live on volumes (a fresh or reused volume may have other
# owners), then execs Asterisk, which drops to the asterisk user itself (-U/-G).
set -eu

if [ ! -s /etc/asterisk/asterisk.conf ]; then
    echo "asterisk: /etc/asterisk/asterisk.conf is missing: the 'render' service writes it" \
         "(docker compose run --rm render)" >&2
    exit 1
fi

for dir in /var/log/asterisk /var/log/asterisk/cdr-custom /var/log/asterisk/cdr-csv \
           /var/spool/asterisk /var/spool/asterisk/monitor /var/lib/asterisk /var/run/asterisk; do
    mkdir -p "$dir"
    # Top level only: a recordings volume may hold many files, and they are already ours.
    chown asterisk:asterisk "$dir"
done

exec "$@"
