#!/bin/sh
# Entry point of the container image. Started as root (the image's default), it hands the logs folder to the
# unprivileged user, because an existing dsiem-log volume of Dsiem's Go image holds files owned by root, and then
# runs the command as that user: correlation never runs as root. Started as any other user (docker run --user),
# it runs the command as it is.
#
#   DSIEM_LOGS_DIR  the logs folder (the image sets /dsiem/logs)
#   DSIEM_UID       user and group the command runs as when started as root (default 1000:1000, the node
#   DSIEM_GID       user of the base image; 0 is refused for either)
#
# The first argument is a dsiem-backend command or flag (`serve`, `validate --config ...`, `--help`), or any
# program to run instead (`node --heap-growing-percent=30 /app/bin/dsiem-backend.js serve`, `sh`). A command
# name is the backend's even where a program of that name exists (`test` is also /usr/bin/test).
set -eu

uid="${DSIEM_UID:-1000}"
gid="${DSIEM_GID:-1000}"
logs="${DSIEM_LOGS_DIR:-/dsiem/logs}"
backend="$(dirname "$0")/dsiem-backend.js"

# The commands of actors/cli.ts (test/container/container.test.ts checks this list against the CLI's).
backend_commands="serve replay validate migrate publish explain test stats help"

is_backend_command() {
  for c in $backend_commands; do
    [ "$1" = "$c" ] && return 0
  done
  return 1
}

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ] || is_backend_command "$1" || ! command -v "$1" >/dev/null 2>&1; then
  set -- node "$backend" "$@"
fi

if [ "$(id -u)" != "0" ]; then
  exec "$@"
fi

if [ "$uid" = "0" ]; then
  echo "docker-entrypoint: DSIEM_UID=0 refused: the backend does not run as root" >&2
  exit 1
fi
if [ "$gid" = "0" ]; then
  echo "docker-entrypoint: DSIEM_GID=0 refused: the backend does not run with the root group" >&2
  exit 1
fi
if ! command -v setpriv >/dev/null 2>&1; then
  echo "docker-entrypoint: setpriv (util-linux) not found: cannot drop root privileges, refusing to run" >&2
  exit 1
fi

mkdir -p "$logs"
# Only what root owns is handed over (a file another user owns was set up so on purpose). -h: a symbolic link
# is changed itself, never the file it points to.
find "$logs" -xdev -user 0 -exec chown -h "$uid:$gid" {} +

exec setpriv --reuid="$uid" --regid="$gid" --clear-groups --no-new-privs -- "$@"
