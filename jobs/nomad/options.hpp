// Consistency is explicit in every Nomad call: reads take QueryOptions and return QueryMeta, writes
// take WriteOptions and return WriteMeta (as in Nomad's own api/ package).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace nbs::jobs::nomad {

struct QueryOptions {
  std::string namespace_name;  // empty: the client's namespace; "*" lists every namespace
  std::string region;          // empty: the client's region
  std::uint64_t index = 0;     // > 0: a blocking query that returns once the result's index passes this
  std::chrono::milliseconds wait{0};  // cap of a blocking query (0: Nomad's 300 s)
  std::string prefix;                 // id or path prefix of list calls
};

struct QueryMeta {
  std::uint64_t last_index = 0;               // X-Nomad-Index
  bool known_leader = false;                  // X-Nomad-KnownLeader
  std::chrono::milliseconds last_contact{0};  // X-Nomad-LastContact
};

// A read's value with its metadata.
template <class T>
struct Queried {
  T value;
  QueryMeta meta;
};

struct WriteOptions {
  std::string namespace_name;  // empty: the client's namespace
  std::string region;
};

struct WriteMeta {
  std::uint64_t last_index = 0;
};

}  // namespace nbs::jobs::nomad
