# Nomad 1.10 client configuration of a build node: the cache host volume, the drivers the phase jobs
# use, and Vault for the jobs' credentials. Put it beside the node's other agent files
# (/etc/nomad.d/nbs-client.hcl); the agent merges every file of its config directory.
#
# Before starting the agent, on the node (deploy/nomad/README.md, step 2):
#   apt-get install ./nbs_0.1.0_amd64.deb        # nbs-runner in /usr/bin, buildah, podman, uidmap
#   useradd -m -s /bin/sh build                   # Debian adds build:100000:65536 to /etc/subuid
#                                                 # and /etc/subgid; check both files have the line
#   install -d -o build -g build -m 0755 /var/cache/nbs
#   nbs-runner doctor --build-user build --cache-dir /var/cache/nbs    # every line [ ok ]
#
# subuid/subgid: rootless Buildah maps the build user's 65536 subordinate ids into the build's user
# namespace through the setuid helpers newuidmap/newgidmap (package uidmap). Without the ranges the
# first RUN step fails with "error setting supplemental groups list: operation not permitted"; give
# every build node the same uid for "build" so the cache's ownership survives a reinstall.

client {
  enabled = true

  # The cache of the build phase: Buildah's layer storage (<cache>/storage) and the Git mirrors
  # (<cache>/git). Phase jobs ask for it by this name (nomad_cache_volume); nodes without it get no
  # build. raw_exec cannot mount volumes, so its runner uses this path directly: keep it equal to the
  # daemon's cache_dir (/var/cache/nbs).
  host_volume "nbs-cache" {
    path      = "/var/cache/nbs"
    read_only = false
  }

  # Let the scheduler tell build nodes apart (optional; pair with the daemon's nomad_node_pool).
  meta {
    nbs_build = "true"
  }
}

# Build and publish tasks with nomad_runner_driver = raw_exec (the default of nbs-mcpd.nomad.hcl):
# nbs-runner from the .deb, started as the task user "build" (the daemon's build_user), which the
# client may only do when it runs as root. Deny root and system accounts as task users.
plugin "raw_exec" {
  config {
    enabled          = true
    denied_host_uids = "0-999"
    denied_host_gids = "0-999"
  }
}

# nomad_runner_driver = exec: the same, inside the exec driver's chroot and namespaces. Rootless
# Buildah needs setuid and setgid to start newuidmap/newgidmap, both in the default capability set.
plugin "exec" {
  config {
    default_pid_mode = "private"
    default_ipc_mode = "private"
  }
}

# Test tasks (nomad_test_driver = docker) and runner tasks from the runner image
# (nomad_runner_driver = docker). A plain-HTTP registry must also be listed in the Docker daemon's
# "insecure-registries" (/etc/docker/daemon.json). Rootless Buildah inside the runner image needs
# user namespaces in the container: Docker's default seccomp profile forbids them, so nodes that run
# the runner image under Docker need "seccomp-profile": "unconfined" in daemon.json (or use raw_exec).
plugin "docker" {
  config {
    allow_privileged      = false
    pull_activity_timeout = "10m"

    volumes {
      enabled = false
    }

    gc {
      image       = true
      image_delay = "30m"
      container   = true
    }
  }
}

# nomad_test_driver = podman (or nomad_runner_driver = podman): the external driver
# (nomad-driver-podman in plugin_dir), talking to the root podman service (systemctl enable --now
# podman.socket). Plain-HTTP registries go in /etc/containers/registries.conf (insecure = true).
# On hosts with cgroups v1 hybrid mode, set runtime = "runc" in /etc/containers/containers.conf
# (crun refuses hybrid cgroups).
plugin "nomad-driver-podman" {
  config {
    socket {
      name        = "default"
      socket_path = "unix:///run/podman/podman.sock"
    }

    volumes {
      enabled = false
    }

    gc {
      container = true
    }
  }
}

# Credentials (git_credentials_path, registry_credentials_path, test.vault_secrets) come from Vault:
# each phase task logs in with its workload identity (vault_default, audience vault.io) to the JWT
# auth method, role "nbs" (vault-role-nbs.json, policy vault-policy.hcl).
vault {
  enabled               = true
  address               = "https://vault.example.com:8200"
  jwt_auth_backend_path = "jwt-nomad"
}
