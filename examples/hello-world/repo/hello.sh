#!/bin/sh
echo "Hello from the Nomad Build Service!"
