# Nomad ACL policy of nbs-mcpd, attached to the job's workload identity (no token to hand out):
#   nomad acl policy apply -namespace default -job nbs-mcpd nbs-mcpd deploy/nomad/nbs-mcpd-acl.hcl
# What the daemon does with it: registers, reads, lists, stops and purges its phase jobs
# (nbs-<job>-<phase>), follows their allocations and reads their logs and result files, and keeps
# the job records in Nomad Variables under nomad-build/. Use the namespace the phase jobs run in.
namespace "default" {
  capabilities = ["submit-job", "read-job", "list-jobs", "read-logs", "read-fs"]

  variables {
    path "nomad-build/*" {
      capabilities = ["write", "read", "list", "destroy"]
    }
  }
}
