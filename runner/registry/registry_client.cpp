#include "runner/registry/registry_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/base64.hpp"
#include "common/digest.hpp"
#include "common/text.hpp"
#include "runner/registry/www_authenticate.hpp"

namespace nbs::runner::registry {
namespace {

namespace json = boost::json;

const char* const k_oci_index = "application/vnd.oci.image.index.v1+json";
const char* const k_docker_list = "application/vnd.docker.distribution.manifest.list.v2+json";

std::string join(const std::vector<std::string>& items, char sep) {
  std::string out;
  for (const auto& i : items) {
    out += (out.empty() ? "" : std::string(1, sep)) + i;
  }
  return out;
}

Error http_error(std::string_view what, const HttpResponse& r) {
  auto kind = r.status == 401 || r.status == 403   ? ErrorKind::unauthorized
              : r.status == 404                    ? ErrorKind::not_found
              : r.status >= 500 || r.status == 429 ? ErrorKind::unavailable
                                                   : ErrorKind::invalid_argument;
  std::string body = r.body.substr(0, 300);
  return make_error(
      kind, std::string(what) + ": HTTP " + std::to_string(r.status) + (body.empty() ? "" : ": " + body));
}

std::string pull(const std::string& repo) {
  return "repository:" + repo + ":pull";
}
std::string push(const std::string& repo) {
  return "repository:" + repo + ":pull,push";
}

}  // namespace

const char* const k_manifest_accept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

std::string sha256_digest(std::string_view data) {
  return "sha256:" + sha256_hex(data);
}

bool Manifest::is_index() const {
  return media_type == k_oci_index || media_type == k_docker_list;
}

namespace {

// {"os": "linux", "architecture": "arm", "variant": "v7"} → "linux/arm/v7".
std::string platform_text(const json::object& platform) {
  auto field = [&](const char* key) {
    const auto* v = platform.if_contains(key);
    return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
  };
  std::string out = field("os") + "/" + field("architecture");
  if (const std::string variant = field("variant"); !variant.empty()) {
    out += "/" + variant;
  }
  return out;
}

Result<std::vector<Manifest::Descriptor>> descriptors(const std::string& body,
                                                      std::initializer_list<const char*> keys) {
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return make_error(ErrorKind::invalid_argument, "manifest: not a JSON object");
  }
  std::vector<Manifest::Descriptor> out;
  auto read = [&](const json::value& d) -> Status {
    const auto* o = d.if_object();
    const auto* digest = o != nullptr ? o->if_contains("digest") : nullptr;
    if (digest == nullptr || !digest->is_string()) {
      return make_error(ErrorKind::invalid_argument, "manifest: descriptor without a digest");
    }
    Manifest::Descriptor desc{.digest = std::string(digest->as_string())};
    if (const auto* mt = o->if_contains("mediaType"); mt != nullptr && mt->is_string()) {
      desc.media_type = mt->as_string();
    }
    if (const auto* size = o->if_contains("size"); size != nullptr && size->is_int64()) {
      desc.size = size->as_int64();
    }
    if (const auto* platform = o->if_contains("platform"); platform != nullptr && platform->is_object()) {
      desc.platform = platform_text(platform->as_object());
    }
    out.push_back(std::move(desc));
    return {};
  };
  for (const char* key : keys) {
    const auto* field = v.as_object().if_contains(key);
    if (field == nullptr) {
      continue;
    }
    if (field->is_array()) {
      for (const auto& d : field->as_array()) {
        if (auto s = read(d); !s) {
          return s.error();
        }
      }
    } else if (auto s = read(*field); !s) {
      return s.error();
    }
  }
  return out;
}

}  // namespace

Result<std::vector<Manifest::Descriptor>> Manifest::blobs() const {
  return descriptors(body, {"config", "layers"});
}
Result<std::vector<Manifest::Descriptor>> Manifest::children() const {
  return descriptors(body, {"manifests"});
}

RegistryClient::RegistryClient(HttpTransport& download, HttpTransport& upload, AuthFile auth,
                               InsecureRegistries insecure)
    : download_(download), upload_(upload), auth_(std::move(auth)), insecure_(std::move(insecure)) {}

std::string RegistryClient::base_url(const std::string& registry) const {
  return (insecure_.contains(registry) ? "http://" : "https://") + registry;
}

Result<std::string> RegistryClient::authorize(HttpTransport& http, const std::string& registry,
                                              const std::string& header,
                                              const std::vector<std::string>& scopes) {
  auto challenge = parse_www_authenticate(header);
  if (!challenge) {
    return make_error(ErrorKind::unauthorized, registry + ": 401 without a usable WWW-Authenticate");
  }
  std::string repo = scopes.empty() ? "" : scopes.front().substr(11, scopes.front().rfind(':') - 11);
  auto credential = auth_.find(registry, repo);
  std::string basic =
      credential ? "Basic " + base64_encode(credential->username + ":" + credential->password) : "";
  if (challenge->scheme == "basic") {
    if (!credential) {
      return make_error(ErrorKind::unauthorized, registry + ": credentials required, none in the auth file");
    }
    return basic;
  }
  if (challenge->scheme != "bearer" || challenge->param("realm").empty()) {
    return make_error(ErrorKind::unauthorized,
                      registry + ": unsupported authentication scheme " + challenge->scheme);
  }
  // The token service: GET realm?service=…&scope=…, with Basic credentials when we have them.
  std::string url = challenge->param("realm");
  char sep = url.find('?') == std::string::npos ? '?' : '&';
  if (!challenge->param("service").empty()) {
    url += sep + std::string("service=") + url_encode(challenge->param("service"));
    sep = '&';
  }
  for (const auto& scope : scopes) {
    url += sep + std::string("scope=") + url_encode(scope);
    sep = '&';
  }
  HttpRequest token_request{.url = url};
  if (!basic.empty()) {
    token_request.headers.emplace_back("Authorization", basic);
  }
  auto r = http.send(token_request);
  if (!r) {
    return r.error();
  }
  if (r->status != 200) {
    return http_error(registry + ": token service", *r);
  }
  boost::system::error_code ec;
  json::value v = json::parse(r->body, ec);
  const json::object* o = ec ? nullptr : v.if_object();
  for (const char* key : {"token", "access_token"}) {
    if (o != nullptr) {
      if (const auto* t = o->if_contains(key); t != nullptr && t->is_string() && !t->as_string().empty()) {
        return "Bearer " + std::string(t->as_string());
      }
    }
  }
  return make_error(ErrorKind::unauthorized, registry + ": the token service answered without a token");
}

Result<HttpResponse> RegistryClient::call(HttpTransport& http, const std::string& registry,
                                          const std::vector<std::string>& scopes, HttpRequest request,
                                          const BodySink* sink) {
  if (request.url.rfind("http", 0) != 0) {
    request.url = base_url(registry) + request.url;
  }
  std::string key = registry + " " + join(scopes, ' ');
  auto with_auth = [&](HttpRequest r) {
    if (auto it = authorization_.find(key); it != authorization_.end()) {
      r.headers.emplace_back("Authorization", it->second);
    }
    return r;
  };
  auto r = http.send(with_auth(request), sink);
  if (!r || r->status != 401) {
    return r;
  }
  auto authorization = authorize(http, registry, header_value(*r, "WWW-Authenticate"), scopes);
  if (!authorization) {
    return authorization.error();
  }
  authorization_[key] = *authorization;
  return http.send(with_auth(std::move(request)), sink);
}

Result<Manifest> RegistryClient::get_manifest(const ImageRef& ref) {
  HttpRequest req{.url = "/v2/" + ref.repository + "/manifests/" + ref.reference(),
                  .headers = {{"Accept", k_manifest_accept}}};
  auto r = call(download_, ref.registry, {pull(ref.repository)}, req);
  if (!r) {
    return r.error();
  }
  if (r->status != 200) {
    return http_error("manifest " + ref.str(), *r);
  }
  Manifest m{
      .media_type = header_value(*r, "Content-Type"), .digest = sha256_digest(r->body), .body = r->body};
  if (auto d = header_value(*r, "Docker-Content-Digest"); !d.empty() && d != m.digest) {
    return make_error(ErrorKind::unavailable,
                      "manifest " + ref.str() + ": digest " + d + " does not match its body");
  }
  if (!ref.digest.empty() && ref.digest != m.digest) {
    return make_error(ErrorKind::unavailable,
                      "manifest " + ref.str() + ": body does not match the digest asked for");
  }
  return m;
}

Result<bool> RegistryClient::has_blob(const std::string& registry, const std::string& repository,
                                      const std::string& digest) {
  auto r = call(download_, registry, {pull(repository)},
                {.method = "HEAD", .url = "/v2/" + repository + "/blobs/" + digest});
  if (!r) {
    return r.error();
  }
  if (r->status == 200) {
    return true;
  }
  if (r->status == 404) {
    return false;
  }
  return http_error("blob " + digest, *r);
}

Result<bool> RegistryClient::mount_blob(const std::string& registry, const std::string& to,
                                        const std::string& from, const std::string& digest) {
  HttpRequest req{
      .method = "POST",
      .url = "/v2/" + to + "/blobs/uploads/?mount=" + url_encode(digest) + "&from=" + url_encode(from)};
  auto r = call(upload_, registry, {push(to), pull(from)}, req);
  if (!r) {
    return r.error();
  }
  if (r->status == 201) {
    return true;
  }
  if (r->status == 202) {
    // The registry declined and opened an upload instead; cancel it, the caller copies.
    auto location = header_value(*r, "Location");
    if (!location.empty()) {
      call(upload_, registry, {push(to)}, {.method = "DELETE", .url = location});
    }
    return false;
  }
  return http_error("mount " + digest + " from " + from + " into " + to, *r);
}

Status RegistryClient::copy_blob(const ImageRef& from, const ImageRef& to, const std::string& digest) {
  auto start = call(upload_, to.registry, {push(to.repository)},
                    {.method = "POST", .url = "/v2/" + to.repository + "/blobs/uploads/"});
  if (!start) {
    return start.error();
  }
  if (start->status != 202) {
    return http_error("upload to " + to.repository, *start);
  }
  std::string location = header_value(*start, "Location");
  std::string pending;
  std::size_t offset = 0;
  // Sends what has accumulated as one PATCH, moving `location` on.
  auto flush = [&]() -> Status {
    if (pending.empty()) {
      return {};
    }
    std::size_t size = pending.size();
    HttpRequest patch{
        .method = "PATCH",
        .url = location,
        .headers = {{"Content-Type", "application/octet-stream"},
                    {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + size - 1)}},
        .body = std::move(pending)};
    auto r = call(upload_, to.registry, {push(to.repository)}, std::move(patch));
    if (!r) {
      return r.error();
    }
    if (r->status != 202) {
      return http_error("upload chunk of " + digest, *r);
    }
    offset += size;
    pending.clear();
    if (auto next = header_value(*r, "Location"); !next.empty()) {
      location = next;
    }
    return {};
  };
  BodySink sink = [&](std::string_view chunk) -> Status {
    pending.append(chunk);
    return pending.size() >= chunk_size ? flush() : Status{};
  };
  auto got = call(download_, from.registry, {pull(from.repository)},
                  {.url = "/v2/" + from.repository + "/blobs/" + digest}, &sink);
  if (!got) {
    return got.error();
  }
  if (got->status / 100 == 3) {
    // Storage behind a redirect (S3 and friends): no registry credentials go there.
    auto redirected = download_.send({.url = header_value(*got, "Location")}, &sink);
    if (!redirected) {
      return redirected.error();
    }
    got = redirected;
  }
  if (got->status != 200) {
    return http_error("blob " + digest + " in " + from.repository, *got);
  }
  std::string final_url =
      location + (location.find('?') == std::string::npos ? "?" : "&") + "digest=" + url_encode(digest);
  HttpRequest put{.method = "PUT",
                  .url = final_url,
                  .headers = {{"Content-Type", "application/octet-stream"}},
                  .body = std::move(pending)};
  auto done = call(upload_, to.registry, {push(to.repository)}, std::move(put));
  if (!done) {
    return done.error();
  }
  if (done->status != 201) {
    return http_error("finish upload of " + digest, *done);
  }
  return {};
}

Result<std::string> RegistryClient::put_manifest(const ImageRef& to, const std::string& reference,
                                                 const Manifest& manifest) {
  HttpRequest req{.method = "PUT",
                  .url = "/v2/" + to.repository + "/manifests/" + reference,
                  .headers = {{"Content-Type", manifest.media_type}},
                  .body = manifest.body};
  auto r = call(upload_, to.registry, {push(to.repository)}, req);
  if (!r) {
    return r.error();
  }
  if (r->status != 201 && r->status != 200) {
    return http_error("manifest PUT " + to.registry + "/" + to.repository + ":" + reference, *r);
  }
  auto digest = header_value(*r, "Docker-Content-Digest");
  return digest.empty() ? manifest.digest : digest;
}

Status RegistryClient::delete_manifest(const std::string& registry, const std::string& repository,
                                       const std::string& digest) {
  auto r = call(upload_, registry, {"repository:" + repository + ":delete", push(repository)},
                {.method = "DELETE", .url = "/v2/" + repository + "/manifests/" + digest});
  if (!r) {
    return r.error();
  }
  if (r->status == 202 || r->status == 200 || r->status == 404) {
    return {};
  }
  return http_error("delete " + repository + "@" + digest, *r);
}

}  // namespace nbs::runner::registry

namespace nbs::runner::registry {

Result<std::string> RegistryClient::upload_blob(const std::string& registry, const std::string& repository,
                                                const std::string& data) {
  std::string digest = sha256_digest(data);
  auto present = has_blob(registry, repository, digest);
  if (!present) {
    return present.error();
  }
  if (*present) {
    return digest;
  }
  auto start = call(upload_, registry, {push(repository)},
                    {.method = "POST", .url = "/v2/" + repository + "/blobs/uploads/"});
  if (!start) {
    return start.error();
  }
  if (start->status != 202) {
    return http_error("upload to " + repository, *start);
  }
  std::string location = header_value(*start, "Location");
  location +=
      (location.find('?') == std::string::npos ? "?" : "&") + std::string("digest=") + url_encode(digest);
  auto done = call(upload_, registry, {push(repository)},
                   {.method = "PUT",
                    .url = location,
                    .headers = {{"Content-Type", "application/octet-stream"}},
                    .body = data});
  if (!done) {
    return done.error();
  }
  if (done->status != 201) {
    return http_error("upload of " + digest, *done);
  }
  return digest;
}

Status RegistryClient::delete_tag(const ImageRef& ref, const std::string& unique) {
  const std::string config = "{}";
  auto config_digest = upload_blob(ref.registry, ref.repository, config);
  if (!config_digest) {
    return config_digest.error();
  }
  json::object manifest{{"schemaVersion", 2},
                        {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
                        {"config", json::object{{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                                {"digest", *config_digest},
                                                {"size", config.size()}}},
                        {"layers", json::array()},
                        {"annotations", json::object{{"io.nbs.tombstone", unique}}}};
  Manifest tombstone{.media_type = "application/vnd.oci.image.manifest.v1+json",
                     .body = json::serialize(manifest)};
  tombstone.digest = sha256_digest(tombstone.body);
  auto put = put_manifest(ref, ref.tag, tombstone);
  if (!put) {
    return put.error();
  }
  return delete_manifest(ref.registry, ref.repository, *put);
}

}  // namespace nbs::runner::registry
