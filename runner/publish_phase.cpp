#include "runner/publish_phase.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "runner/image_signing.hpp"
#include "runner/registry/registry_session.hpp"

namespace nbs::runner {
namespace {

using registry::ImageRef;
using registry::Manifest;
using registry::RegistryClient;
using SteadyClock = std::chrono::steady_clock;

struct CopyCounts {
  int present = 0;
  int mounted = 0;
  int copied = 0;
};

// The manifests whose blobs a copy needs: the image itself, or every platform manifest of an index.
Result<std::vector<Manifest>> image_manifests(RegistryClient& client, const ImageRef& src,
                                              const Manifest& top) {
  if (!top.is_index()) {
    return std::vector<Manifest>{top};
  }
  auto children = top.children();
  if (!children) {
    return children.error();
  }
  std::vector<Manifest> out;
  for (const auto& child : *children) {
    ImageRef ref = src;
    ref.tag.clear();
    ref.digest = child.digest;
    auto m = client.get_manifest(ref);
    if (!m) {
      return m.error();
    }
    out.push_back(std::move(*m));
  }
  return out;
}

// Makes every blob of `manifests` available in `dst`: present already, mounted, or streamed across.
Status copy_blobs(RegistryClient& client, const ImageRef& src, const ImageRef& dst,
                  const std::vector<Manifest>& manifests, CopyCounts& counts) {
  for (const auto& m : manifests) {
    auto blobs = m.blobs();
    if (!blobs) {
      return blobs.error();
    }
    for (const auto& blob : *blobs) {
      auto present = client.has_blob(dst.registry, dst.repository, blob.digest);
      if (!present) {
        return present.error();
      }
      if (*present) {
        ++counts.present;
        continue;
      }
      if (dst.registry == src.registry) {
        auto mounted = client.mount_blob(dst.registry, dst.repository, src.repository, blob.digest);
        if (!mounted) {
          return mounted.error();
        }
        if (*mounted) {
          ++counts.mounted;
          continue;
        }
      }
      if (auto s = client.copy_blob(src, dst, blob.digest); !s) {
        return s;
      }
      ++counts.copied;
    }
  }
  return {};
}

Result<std::vector<ImageRef>> parse_refs(const std::vector<std::string>& refs) {
  std::vector<ImageRef> out;
  for (const auto& r : refs) {
    auto ref = ImageRef::parse(r);
    if (!ref) {
      return ref.error();
    }
    out.push_back(*ref);
  }
  return out;
}

std::string counts_text(const CopyCounts& c) {
  return "mounted " + std::to_string(c.mounted) + ", copied " + std::to_string(c.copied) + ", present " +
         std::to_string(c.present);
}

Result<std::unique_ptr<registry::RegistrySession>> open_session(const PhaseContext& ctx) {
  auto session = registry::RegistrySession::open(ctx.spec());
  if (!session) {
    return session.error();
  }
  for (const auto& s : (*session)->auth().secrets()) {
    ctx.log().add_secret(s);
  }
  return session;
}

// gpg never prints key material, but a key that found its way into a message would be masked anyway:
// the whole file and each line of its armour.
void mask_key(const PhaseContext& ctx, const std::string& key_file) {
  std::ifstream in(key_file, std::ios::binary);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (content.empty() || content.size() > std::size_t{1} << 20) {
    return;
  }
  ctx.log().add_secret(content);
  std::istringstream lines(content);
  for (std::string line; std::getline(lines, line);) {
    if (line.size() >= 20 && !line.starts_with("-----")) {
      ctx.log().add_secret(line);
    }
  }
}

Result<ImageSigner> open_signer(const PhaseContext& ctx) {
  mask_key(ctx, ctx.spec().credentials.signing_key_file);
  auto signer = ImageSigner::open(ctx.spec().credentials.signing_key_file, "/tmp", signature_creator(),
                                  ctx.run_options());
  if (signer) {
    ctx.log().line(LogStream::none, "publish: signing with key " + signer->fingerprint() + " into " +
                                        ctx.spec().signature_store);
  }
  return signer;
}

// One signature per manifest a verifier checks for `dst`: the image's, and for an index each platform
// manifest's too (a pull of one platform checks that one), all with the tag's own identity.
Status sign_tag(const PhaseContext& ctx, const ImageSigner& signer, const ImageRef& dst, const Manifest& top,
                const std::vector<Manifest>& manifests) {
  const auto timestamp =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::vector<std::string> digests;
  if (top.is_index()) {
    for (const auto& m : manifests) {
      digests.push_back(m.digest);
    }
  }
  digests.push_back(top.digest);
  for (const auto& digest : digests) {
    auto file = signer.sign(ctx.spec().signature_store, dst.str(), dst.repository, digest, timestamp,
                            ctx.run_options());
    if (!file) {
      return file.error();
    }
    ctx.log().line(LogStream::none,
                   "publish: signed " + dst.str() + " (" + digest + ") -> " + file->string());
  }
  return {};
}

}  // namespace

bool wait_to_retry(const PhaseContext& ctx, std::string_view what, const Error& error, int attempt,
                   std::chrono::milliseconds& delay) {
  const auto& policy = ctx.options().retry;
  if (registry_failure_class(error) != FailureClass::registry_unreachable || attempt >= policy.attempts) {
    return false;
  }
  ctx.log().line(LogStream::none,
                 std::string(what) + ": " + error.message + "; transient registry error, retrying in " +
                     std::to_string(delay.count()) + " ms (attempt " + std::to_string(attempt + 1) + "/" +
                     std::to_string(policy.attempts) + ")");
  if (!ctx.sleep_for(delay)) {
    return false;
  }
  delay = std::min(delay * 2, policy.max);
  return true;
}

Result<std::int64_t> image_size(RegistryClient& client, const ImageRef& ref, const Manifest& manifest) {
  auto manifests = image_manifests(client, ref, manifest);
  if (!manifests) {
    return manifests.error();
  }
  std::int64_t size = 0;
  for (const auto& m : *manifests) {
    auto blobs = m.blobs();
    if (!blobs) {
      return blobs.error();
    }
    for (const auto& b : *blobs) {
      size += b.size;
    }
  }
  return size;
}

PhaseOutcome run_publish_phase(const PhaseContext& ctx, PhaseResult& result) {
  auto start = SteadyClock::now();
  auto session = open_session(ctx);
  if (!session) {
    return ctx.fail(ExitCode::spec_invalid, registry_failure_class(session.error()), session.error().message);
  }
  auto& client = (*session)->client();
  auto src = ImageRef::parse(ctx.spec().temp_image);
  auto dsts = parse_refs(ctx.spec().final_images);
  if (!src || !dsts) {
    return ctx.fail(ExitCode::spec_invalid, FailureClass::internal,
                    (!src ? src.error() : dsts.error()).message);
  }

  auto top =
      retry_registry_call(ctx, "publish: GET " + src->str(), [&] { return client.get_manifest(*src); });
  if (!top) {
    return ctx.fail(ExitCode::publish_failed, registry_failure_class(top.error()), top.error().message);
  }
  auto manifests = retry_registry_call(ctx, "publish: GET the manifests of " + src->str(),
                                       [&] { return image_manifests(client, *src, *top); });
  if (!manifests) {
    return ctx.fail(ExitCode::publish_failed, registry_failure_class(manifests.error()),
                    manifests.error().message);
  }
  ctx.log().line(LogStream::none, "publish: " + src->str() + " is " + top->media_type + " " + top->digest);
  result.digest = top->digest;

  std::optional<ImageSigner> signer;
  if (ctx.spec().request.sign) {
    auto opened = open_signer(ctx);
    if (!opened) {
      return ctx.fail(ctx.failure_code(ExitCode::publish_failed), FailureClass::internal,
                      opened.error().message);
    }
    signer.emplace(std::move(*opened));
  }

  // After SIGTERM the tag being published may finish within the grace; no further tag is started.
  std::optional<SteadyClock::time_point> stop_by;
  auto must_stop = [&] {
    if (ctx.stop_requested() && !stop_by) {
      stop_by = SteadyClock::now() + ctx.options().push_stop_grace;
    }
    return ctx.deadline_passed() || (stop_by && SteadyClock::now() >= *stop_by);
  };
  for (const auto& dst : *dsts) {
    if (ctx.stop_requested() || must_stop()) {
      return ctx.fail(ExitCode::publish_failed, FailureClass::killed,
                      "stopped before publishing " + dst.str());
    }
    CopyCounts counts;
    bool same_repository = dst.registry == src->registry && dst.repository == src->repository;
    if (!same_repository) {
      auto copied = retry_registry_call(ctx, "publish: blobs for " + dst.str(), [&] {
        counts = {};
        return copy_blobs(client, *src, dst, *manifests, counts);
      });
      if (!copied) {
        return ctx.fail(ExitCode::publish_failed, registry_failure_class(copied.error()),
                        dst.str() + ": " + copied.error().message);
      }
      if (top->is_index()) {
        for (const auto& child : *manifests) {
          auto put = retry_registry_call(ctx, "publish: PUT " + child.digest,
                                         [&] { return client.put_manifest(dst, child.digest, child); });
          if (!put) {
            return ctx.fail(ExitCode::publish_failed, registry_failure_class(put.error()),
                            put.error().message);
          }
        }
      }
    }
    if (must_stop()) {
      return ctx.fail(ExitCode::publish_failed, FailureClass::killed,
                      "stopped before the manifest of " + dst.str());
    }
    // Signed before the tag exists, so that no verifier ever sees it unsigned.
    if (signer) {
      if (auto s = sign_tag(ctx, *signer, dst, *top, *manifests); !s) {
        return ctx.fail(ctx.failure_code(ExitCode::publish_failed), FailureClass::internal,
                        s.error().message);
      }
    }
    auto digest = retry_registry_call(ctx, "publish: PUT " + dst.str(),
                                      [&] { return client.put_manifest(dst, dst.tag, *top); });
    if (!digest) {
      return ctx.fail(ExitCode::publish_failed, registry_failure_class(digest.error()),
                      digest.error().message);
    }
    if (*digest != top->digest) {
      return ctx.fail(ExitCode::publish_failed, FailureClass::internal,
                      dst.str() + ": the registry stored digest " + *digest + ", not " + top->digest);
    }
    result.tags.push_back(dst.str());
    if (signer) {
      result.signed_tags.push_back(dst.str());
    }
    ctx.log().line(LogStream::none,
                   "publish: " + dst.str() + " -> " + *digest + " (" + counts_text(counts) + ")");
  }

  // Only the tag goes, never the digest: a registry deletes a digest with every tag pointing at it, and
  // another job (an identical build, a fully cached one) may have published the same digest.
  auto deleted = retry_registry_call(ctx, "publish: DELETE " + src->str(),
                                     [&] { return client.delete_tag(*src, ctx.spec().job_id); });
  if (!deleted) {
    ctx.log().line(LogStream::none, "publish: could not delete the temp image: " + deleted.error().message);
  } else {
    ctx.log().line(LogStream::none, "publish: deleted temp image " + src->str() + "@" + top->digest);
  }
  if (auto size = image_size(client, *src, *top)) {
    result.size = *size;
  }
  result.timings_ms["publish"] = result.timings_ms["total"] =
      std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - start).count();
  ctx.log().result(result.digest, "published " + std::to_string(result.tags.size()) + " tag(s)");
  if (ctx.stop_requested()) {
    return {ExitCode::killed, "stopped after publishing"};
  }
  return {ExitCode::ok, "published " + result.digest};
}

PhaseOutcome run_cleanup_phase(const PhaseContext& ctx, PhaseResult& result) {
  auto session = open_session(ctx);
  if (!session) {
    return ctx.fail(ExitCode::spec_invalid, registry_failure_class(session.error()), session.error().message);
  }
  auto& client = (*session)->client();
  auto src = ImageRef::parse(ctx.spec().temp_image);
  if (!src) {
    return ctx.fail(ExitCode::spec_invalid, registry_failure_class(src.error()), src.error().message);
  }
  auto m = retry_registry_call(ctx, "cleanup: GET " + src->str(), [&] { return client.get_manifest(*src); });
  if (!m && m.error().kind == ErrorKind::not_found) {
    ctx.log().line(LogStream::none, "cleanup: " + src->str() + " is already gone");
    return {ExitCode::ok, "nothing to delete"};
  }
  if (!m) {
    return ctx.fail(ExitCode::cleanup_failed, registry_failure_class(m.error()), m.error().message);
  }
  result.digest = m->digest;
  // Only the tag goes, never the digest: deleting a digest takes every tag pointing at it along, and
  // other jobs may have published (or be testing) the very same image. The untagged manifest is left
  // to the registry's garbage collection.
  if (auto s = retry_registry_call(ctx, "cleanup: DELETE " + src->str(),
                                   [&] { return client.delete_tag(*src, ctx.spec().job_id); });
      !s) {
    return ctx.fail(ExitCode::cleanup_failed, registry_failure_class(s.error()), s.error().message);
  }
  ctx.log().line(LogStream::none, "cleanup: removed the tag " + src->str() + " (" + m->digest + ")");
  return {ExitCode::ok, "deleted the temp tag"};
}

}  // namespace nbs::runner
