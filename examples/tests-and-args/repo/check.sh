#!/bin/sh
# Fails unless the build arg reached the image and the test environment is set.
grep -qx "$EXPECTED" /greeting || { echo "greeting is '$(cat /greeting)', expected '$EXPECTED'"; exit 1; }
echo "greeting ok: $EXPECTED"
