#include "mcpd/config.hpp"

#include <filesystem>
#include <fstream>
#include <map>

#include <gtest/gtest.h>

namespace nbs::mcpd {
namespace {

struct Env {
  std::map<std::string, std::string> vars;
  EnvLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
  }
};

Result<ConfigLoad> load(std::vector<const char*> args, const Env& env = {}) {
  args.insert(args.begin(), "nbs-mcpd");
  return load_config(static_cast<int>(args.size()), args.data(), env.lookup());
}

std::string write_file(const std::string& name, const std::string& text) {
  auto path = (std::filesystem::temp_directory_path() / ("nbs-mcpd-test-" + name)).string();
  std::ofstream(path) << text;
  return path;
}

TEST(Config, DefaultsFileEnvironmentAndFlagsInThatOrder) {
  auto file = write_file(
      "order.yaml",
      "listen: 127.0.0.1:9000\nmax_body_bytes: 2048\nallowed_origins:\n  - https://a\n  - https://b\n");
  Env env{{{"NBS_MAX_BODY_BYTES", "4096"}, {"NOMAD_ADDR", "http://nomad:4646"}}};
  auto c = load({"--config", file.c_str(), "--allowed-origin", "https://c"}, env);
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->config.listen, "127.0.0.1:9000");
  EXPECT_EQ(c->config.origins.at("listen"), file + ":1");
  EXPECT_EQ(c->config.max_body_bytes, 4096u);
  EXPECT_EQ(c->config.origins.at("max_body_bytes"), "NBS_MAX_BODY_BYTES");
  EXPECT_EQ(c->config.allowed_origins, (std::vector<std::string>{"https://c"}));
  EXPECT_EQ(c->config.origins.at("allowed_origins"), "--allowed-origin");
  EXPECT_EQ(c->config.nomad_addr, "http://nomad:4646");
  EXPECT_EQ(c->config.origins.at("threads"), "default");
  env.vars["NBS_NOMAD_ADDR"] = "http://mine:4646";
  EXPECT_EQ(load({}, env)->config.nomad_addr, "http://mine:4646");
}

TEST(Config, ErrorsNameTheKeyAndTheOrigin) {
  auto file = write_file("bad.yaml", "listen: 127.0.0.1:1\nlisten_port: 3\n");
  EXPECT_EQ(load({"--config", file.c_str()}).error().message, file + ":2: unknown key 'listen_port'");
  auto bad_value = write_file("badvalue.yaml", "\nheader_timeout: soon\n");
  EXPECT_EQ(load({"--config", bad_value.c_str()}).error().message,
            bad_value + ":2: header_timeout: expected a duration such as 250ms, 15s, 2m or 1h, got 'soon'");
  Env env{{{"NBS_MAX_BODY_BYTES", "12x"}}};
  EXPECT_EQ(load({}, env).error().message,
            "NBS_MAX_BODY_BYTES: max_body_bytes: expected a whole number, got '12x'");
  EXPECT_EQ(load({"--listen", "nohost"}).error().message,
            "--listen: listen: expected HOST:PORT, got 'nohost'");
  EXPECT_EQ(load({"--listen", "0.0.0.0:8080"}).error().message,
            "token_file: required when listen (0.0.0.0:8080, set by --listen) is not a loopback address");
  EXPECT_EQ(load({"--tls-cert", "c.pem"}).error().message,
            "tls_key: required together with tls_cert (set by --tls-cert)");
  EXPECT_TRUE(load({"--listen", "0.0.0.0:8080", "--token-file", "t"}));
  EXPECT_TRUE(load({"--listen", "0.0.0.0:8080", "--stdio"}));
}

TEST(Config, BuildCacheRepositoryIsARepositoryWithoutTag) {
  auto c = load({"--build-cache-repository", "cache.example.com:5000/nbs"});
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->config.build_cache_repository, "cache.example.com:5000/nbs");
  Env env{{{"NBS_BUILD_CACHE_REPOSITORY", "cache.example.com/nbs:latest"}}};
  EXPECT_EQ(load({}, env).error().message,
            "NBS_BUILD_CACHE_REPOSITORY: build_cache_repository: 'cache.example.com/nbs:latest' must be a "
            "repository without a tag or digest (Buildah tags each cached layer itself)");
  EXPECT_FALSE(load({"--build-cache-repository", "cache.example.com"}));
  EXPECT_EQ(load({})->config.build_cache_repository, "");
}

TEST(Config, VersionHelpAndPrintConfig) {
  auto version = load({"--version"});
  EXPECT_EQ(*version->exit_code, 0);
  EXPECT_EQ(version->output, "nbs-mcpd 0.1.0\n");
  auto help = load({"--help"});
  EXPECT_EQ(*help->exit_code, 0);
  for (const auto& key : config_keys()) {
    EXPECT_NE(help->output.find(key.flag), std::string::npos) << key.flag;
  }
  auto printed = load({"--print-config", "--header-timeout", "250ms"});
  EXPECT_NE(printed->output.find("header_timeout: 250ms  # --header-timeout\n"), std::string::npos);
  EXPECT_NE(printed->output.find("listen: 127.0.0.1:8080  # default\n"), std::string::npos);
  EXPECT_NE(*load({"--no-such-flag"})->exit_code, 0);
}

TEST(Config, HttpOptionsFollowTheConfig) {
  auto c = load({"--listen", "127.0.0.1:0", "--max-body-bytes", "2048", "--shutdown-grace", "2s"});
  HttpOptions o = http_options(c->config);
  EXPECT_EQ(o.host, "127.0.0.1");
  EXPECT_EQ(o.port, 0);
  EXPECT_EQ(o.max_body_bytes, 2048u);
  EXPECT_EQ(o.shutdown_grace, std::chrono::milliseconds(2000));
  EXPECT_EQ(o.max_connections_per_address, 64u);
  EXPECT_EQ(o.max_connections_per_principal, 128u);
  EXPECT_EQ(c->config.max_sessions_per_client, 100u);
  Env env{{{"NBS_MAX_CONNECTIONS_PER_ADDRESS", "0"}, {"NBS_MAX_SESSIONS_PER_CLIENT", "5"}}};
  auto caps = load({"--max-connections-per-principal", "7"}, env);
  ASSERT_TRUE(caps) << caps.error().message;
  EXPECT_EQ(http_options(caps->config).max_connections_per_address, 0u);  // no cap, e.g. behind a proxy
  EXPECT_EQ(http_options(caps->config).max_connections_per_principal, 7u);
  EXPECT_EQ(caps->config.max_sessions_per_client, 5u);
  EXPECT_EQ(load({"--max-sessions-per-client", "0"}).error().message,
            "--max-sessions-per-client: max_sessions_per_client: must be between 1 and 10000000, got 0");
}

TEST(TokenStore, ParsesAndAuthenticates) {
  auto store =
      TokenStore::parse("# comment\n\nalice aaaaaaaaaaaaaaaaaaaa\nbbbbbbbbbbbbbbbbbbbbbbbb\n", "tokens.txt");
  ASSERT_TRUE(store);
  EXPECT_EQ(store->authenticate("aaaaaaaaaaaaaaaaaaaa"), "alice");
  EXPECT_EQ(store->authenticate("bbbbbbbbbbbbbbbbbbbbbbbb"), "token-4");
  EXPECT_FALSE(store->authenticate("aaaaaaaaaaaaaaaaaaab"));
  EXPECT_FALSE(store->authenticate(""));
  EXPECT_EQ(TokenStore::parse("short\n", "t").error().message,
            "t:1: a token must have at least 16 characters");
  EXPECT_EQ(TokenStore::parse("# none\n", "t").error().message, "t: no token in the file");
  EXPECT_EQ(bearer_token("Bearer abc"), "abc");
  EXPECT_FALSE(bearer_token("Basic abc"));
}

}  // namespace
}  // namespace nbs::mcpd
