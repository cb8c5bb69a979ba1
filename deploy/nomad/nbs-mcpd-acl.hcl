# Nomad ACL policy of nbs-mcpd, attached to the job's workload identity (no token to hand out):
#   nomad acl policy apply -namespace default -job nbs-mcpd nbs-mcpd deploy/nomad/nbs-mcpd-acl.hcl
# What the daemon does with it: registers, reads, lists, stops and purges its phase jobs
# (nbs-<job>-<phase>), follows their allocations and reads their logs and result files, and keeps
# the job records in Nomad Variables under nomad-build/; a build phase's secret build args wait in the
# Variable nomad/jobs/<phase job> (which only that job's identity may read) until its task has started;
# the daemon lists them to remove any a restart left behind.
# Use the namespace the phase jobs run in.
namespace "default" {
  capabilities = ["submit-job", "read-job", "list-jobs", "read-logs", "read-fs"]

  variables {
    path "nomad-build/*" {
      capabilities = ["write", "read", "list", "destroy"]
    }
    path "nomad/jobs/nbs-*" {
      capabilities = ["write", "list", "destroy"]
    }
  }
}
