# Vault policy "nbs-builds": what the phase tasks may read. Every build, publish and test task logs
# in with its workload identity through the JWT auth role "nbs" (vault-role-nbs.json), whose token
# carries only this policy:
#   vault policy write nbs-builds deploy/nomad/vault-policy.hcl
#
# Jobs name KV version 2 paths, so a request's git_credentials_path is e.g. secret/data/nbs/git/ci-bot
# (fields token, or username + password), registry_credentials_path secret/data/nbs/registry/push
# (fields username, password), and test.vault_secrets[].path secret/data/nbs/test/<app>. Paths
# outside these prefixes fail at the task's template with "permission denied". Keep secrets that
# builds must not see elsewhere: any job submitted to nbs-mcpd can name any path below.

# Git credentials of the build phase.
path "secret/data/nbs/git/*" {
  capabilities = ["read"]
}

# Registry credentials of the build, test (image pull) and publish phases.
path "secret/data/nbs/registry/*" {
  capabilities = ["read"]
}

# Secrets the test tasks get as environment variables.
path "secret/data/nbs/test/*" {
  capabilities = ["read"]
}
