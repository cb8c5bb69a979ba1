# nbs-mcpd as a Nomad service job, driving builds through the Nomad executor (Nomad 1.10).
#
#   nomad acl policy apply -namespace default -job nbs-mcpd nbs-mcpd deploy/nomad/nbs-mcpd-acl.hcl
#   nomad var put nomad/jobs/nbs-mcpd tokens=@tokens.txt     # "<principal> <token>" per line
#   nomad job run -var 'check_token=...' deploy/nomad/nbs-mcpd.nomad.hcl
#
# * The Nomad token is the task's workload identity (identity { env = true } → NOMAD_TOKEN), with the
#   ACL policy above attached to the job: no long-lived token anywhere. (Alternative at the end of
#   the file: a management-issued token kept in the Nomad variable.)
# * The daemon keeps no local state: job records live in Nomad Variables under nomad-build/, so the
#   group may be restarted or moved at will, and count = 2 runs two replicas safely (registration is
#   idempotent; see docs/operator-guide.md).
# * The daemon binary comes from the nbs .deb installed on the node (/usr/bin/nbs-mcpd), run by the
#   exec driver. The build and publish phases it submits run nbs-runner on the build nodes (see
#   client.hcl), the tests run the built image with the docker or podman driver.

variable "datacenters" {
  description = "Datacenters the daemon may run in."
  type        = list(string)
  default     = ["*"]
}

variable "nbs_mcpd_path" {
  description = "nbs-mcpd on the node (the .deb installs it in /usr/bin)."
  type        = string
  default     = "/usr/bin/nbs-mcpd"
}

variable "runner_driver" {
  description = "Task driver of the build and publish phases: raw_exec, exec, docker or podman."
  type        = string
  default     = "raw_exec"
}

variable "runner_path" {
  description = "nbs-runner on the build nodes (raw_exec, exec) or inside runner_image (docker, podman)."
  type        = string
  default     = "/usr/bin/nbs-runner"
}

variable "runner_image" {
  description = "The runner image (deploy/runner.Containerfile) for the docker and podman runner drivers."
  type        = string
  default     = ""
}

variable "test_driver" {
  description = "Task driver that runs the built image for the tests: docker or podman."
  type        = string
  default     = "docker"
}

variable "check_token" {
  description = "Bearer token of the readiness check (a line 'nomad-check <token>' in the tokens variable)."
  type        = string
  default     = ""
}

job "nbs-mcpd" {
  type        = "service"
  datacenters = var.datacenters

  update {
    max_parallel      = 1
    health_check      = "checks"
    min_healthy_time  = "10s"
    healthy_deadline  = "3m"
    progress_deadline = "10m"
    auto_revert       = true
  }

  group "nbs-mcpd" {
    count = 1

    network {
      port "http" {}
    }

    service {
      provider = "nomad"
      name     = "nbs-mcpd"
      port     = "http"
      tags     = ["mcp", "rest"]

      # Liveness: /health needs no token and answers while the process serves HTTP. Three failures in
      # a row restart the task.
      check {
        name     = "alive"
        type     = "http"
        path     = "/health"
        interval = "10s"
        timeout  = "2s"

        check_restart {
          limit = 3
          grace = "30s"
        }
      }

      # Readiness: /ready answers 200 once the Nomad executor and the Variables store are reachable,
      # 503 otherwise. Behind a token like every route but /health.
      check {
        name     = "ready"
        type     = "http"
        path     = "/ready"
        interval = "10s"
        timeout  = "5s"

        header {
          Authorization = ["Bearer ${var.check_token}"]
        }
      }
    }

    restart {
      attempts = 5
      interval = "10m"
      delay    = "15s"
      mode     = "delay"
    }

    task "nbs-mcpd" {
      driver = "exec"
      user   = "nobody"

      config {
        command = var.nbs_mcpd_path
        args    = ["--config", "${NOMAD_TASK_DIR}/nbs-mcpd.yaml"]
      }

      # NOMAD_TOKEN in the environment: the workload identity, whose rights come from the ACL policy
      # attached to this job (nbs-mcpd-acl.hcl). No TTL: the token lives as long as the allocation.
      identity {
        env = true
      }

      env {
        # The local client agent's HTTP API (it forwards to the servers). With TLS, also set
        # NOMAD_CACERT, NOMAD_CLIENT_CERT and NOMAD_CLIENT_KEY and use https here.
        NBS_NOMAD_ADDR = "http://${attr.unique.network.ip-address}:4646"
      }

      # The configuration: the keys of `nbs-mcpd --print-config` (docs/operator-guide.md).
      template {
        destination = "local/nbs-mcpd.yaml"
        change_mode = "restart"
        data        = <<-EOT
          listen: {{ env "NOMAD_ADDR_http" }}
          token_file: {{ env "NOMAD_SECRETS_DIR" }}/tokens
          nomad_runner_driver: ${var.runner_driver}
          nomad_runner_path: ${var.runner_path}
          nomad_runner_image: "${var.runner_image}"
          nomad_test_driver: ${var.test_driver}
          nomad_cache_volume: nbs-cache
          cache_dir: /var/cache/nbs
          build_user: build
          registries_conf: /etc/containers/registries.conf
          placement_timeout: 600s
          stop_grace: 30s
          shutdown_grace: 10s
          log_level: info
        EOT
      }

      # The daemon's bearer tokens, from the Nomad variable this job's identity may read.
      template {
        destination = "secrets/tokens"
        change_mode = "restart"
        perms       = "0400"
        uid         = 65534
        gid         = 65534
        data        = <<-EOT
          {{- with nomadVar "nomad/jobs/nbs-mcpd" }}{{ .tokens }}{{ end }}
        EOT
      }

      # Alternative to the workload identity: an ACL token created by an operator
      # (nomad acl token create -name nbs-mcpd -policy nbs-mcpd) and kept in the same variable:
      #
      # template {
      #   destination = "secrets/nomad.env"
      #   env         = true
      #   data        = "NOMAD_TOKEN={{ with nomadVar \"nomad/jobs/nbs-mcpd\" }}{{ .nomad_token }}{{ end }}"
      # }

      # shutdown_grace (10 s) plus margin: in-flight requests finish, phases keep running.
      kill_timeout = "20s"

      resources {
        cpu    = 500
        memory = 256
      }
    }
  }
}
