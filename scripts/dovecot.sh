#!/usr/bin/env bash
# A private Dovecot IMAP server on loopback for the IMAP tests (emailsync/tests/test_imap*.py).
#   scripts/dovecot.sh start   # prints the environment the tests read (IMAP_TEST_*)
#   scripts/dovecot.sh stop
# Needs Debian's dovecot-imapd (apt-get install dovecot-imapd). It runs from its own folder
# ($DOVECOT_DIR, default /tmp/scheduler-dovecot) with its own config, self-signed certificate and one test
# user, on IMAP_TEST_PORT (implicit TLS, default 10993) and IMAP_TEST_STARTTLS_PORT (default 10143); it
# touches no system configuration and no other Dovecot.
set -euo pipefail

dir="${DOVECOT_DIR:-/tmp/scheduler-dovecot}"
tls_port="${IMAP_TEST_PORT:-10993}"
plain_port="${IMAP_TEST_STARTTLS_PORT:-10143}"
user="${IMAP_TEST_USER:-tester}"
password="${IMAP_TEST_PASSWORD:-imap-test-password}"

if ! command -v dovecot >/dev/null 2>&1; then
  echo "error: dovecot not found (apt-get install dovecot-imapd)" >&2
  exit 1
fi

stop() {
  if [ -f "$dir/dovecot.conf" ]; then
    # Its children too (login proxies and IMAP sessions outlive the master for a while): a stopped server
    # must drop every open connection, as a crashed or restarted one does.
    children=""
    if [ -f "$dir/run/master.pid" ]; then
      children=$(pgrep -P "$(cat "$dir/run/master.pid")" 2>/dev/null || true)
    fi
    dovecot -c "$dir/dovecot.conf" stop >/dev/null 2>&1 || true
    for pid in $children; do kill -9 "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 50); do
      [ -f "$dir/run/master.pid" ] && kill -0 "$(cat "$dir/run/master.pid")" 2>/dev/null || break
      sleep 0.1
    done
  fi
}

start() {
  stop
  mkdir -p "$dir/run" "$dir/mail" "$dir/tls"
  # Mail belongs to an unprivileged system user; Dovecot refuses to access mail as root.
  owner="${DOVECOT_MAIL_USER:-dovenull}"
  uid=$(id -u "$owner")
  gid=$(id -g "$owner")
  chown -R "$uid:$gid" "$dir/mail"
  if [ ! -f "$dir/tls/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=localhost" \
      -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
      -keyout "$dir/tls/key.pem" -out "$dir/tls/cert.pem" >/dev/null 2>&1
  fi
  echo "$user:{PLAIN}$password:$uid:$gid::$dir/mail/$user" > "$dir/users"
  cat > "$dir/dovecot.conf" <<CONF
base_dir = $dir/run
state_dir = $dir/run
instance_name = scheduler-dovecot
protocols = imap
listen = 127.0.0.1
log_path = $dir/dovecot.log
ssl = yes
ssl_cert = <$dir/tls/cert.pem
ssl_key = <$dir/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = $uid
last_valid_uid = $uid
mail_location = maildir:~/Maildir
mail_plugins = \$mail_plugins
passdb {
  driver = passwd-file
  args = scheme=PLAIN $dir/users
}
userdb {
  driver = passwd-file
  args = $dir/users
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $plain_port
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $tls_port
    ssl = yes
  }
}
service stats {
  unix_listener stats-reader {
    mode = 0666
  }
  unix_listener stats-writer {
    mode = 0666
  }
}
protocol imap {
  imap_max_line_length = 64k
}
CONF
  # Its own output goes to the log: a daemon holding our stdout open would keep callers waiting.
  dovecot -c "$dir/dovecot.conf" </dev/null >>"$dir/dovecot.log" 2>&1
  for _ in $(seq 1 50); do
    (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && break
    sleep 0.1
  done
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null; then
    echo "Dovecot did not start listening on 127.0.0.1:$tls_port; its log:" >&2
    tail -n 20 "$dir/dovecot.log" >&2 || true
    exit 1
  fi
  echo "IMAP_TEST_HOST=127.0.0.1 IMAP_TEST_PORT=$tls_port IMAP_TEST_STARTTLS_PORT=$plain_port IMAP_TEST_USER=$user IMAP_TEST_PASSWORD=$password IMAP_TEST_CA=$dir/tls/cert.pem DOVECOT_DIR=$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
