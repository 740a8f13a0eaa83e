#!/bin/bash
# tests/integration/rest_socket.sh: rest_api.sh's cases with every request
# sent over the admin Unix socket (curl --unix-socket): the same API, the
# same answers, no credentials.
REST_VIA=socket exec bash "$(dirname "$0")/rest_api.sh"
