// Reads the tar stream `podman cp CONTAINER:PATH -` writes, keeping a bounded part of it. podman cp has no
// size limit of its own, so the caps are applied here, from each entry's header, before anything reaches
// the disk: a report that a test writes endlessly costs the stream it is read from, nothing more.
// Standard library only: nbs-task-supervisor, which links nothing of the project, uses it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jobs/report_files.hpp"

namespace nbs::jobs {

struct TarLimits {
  std::uint64_t file_bytes = k_report_file_bytes;    // kept of one file; the rest is counted, not kept
  std::uint64_t total_bytes = k_report_total_bytes;  // kept of every file together
  std::size_t max_files = k_report_max_files;
  // Read of the stream in all, skipped bytes included: past it the reader stops, so a huge file is not
  // streamed through to its end just to find the entries behind it.
  std::uint64_t stream_bytes = 64 << 20;
};

struct TarFile {
  std::string name;        // as the archive names it ("junit.xml", "out/junit.xml")
  std::uint64_t size = 0;  // its whole size, from the header
  std::string data;        // its first bytes, at most the caps
  bool truncated = false;  // data holds less than size
};

class TarReader {
 public:
  explicit TarReader(TarLimits limits) : limits_(limits) {}

  // Takes the next bytes of the stream. False once nothing more is wanted: the archive ended, a cap or
  // the stream budget was reached, or a header is malformed (error() says so). The caller then stops
  // reading and closes the stream.
  bool feed(std::string_view bytes);

  // The regular files read so far, in archive order (a file cut off by the end of the stream is among
  // them, marked truncated).
  const std::vector<TarFile>& files() const { return files_; }
  std::vector<TarFile>& files() { return files_; }

  // The archive's end-of-archive blocks were seen.
  bool complete() const { return state_ == State::ended; }
  // Entries were left unread because a cap or the stream budget was reached.
  bool incomplete() const { return state_ == State::stopped; }
  const std::string& error() const { return error_; }
  std::uint64_t kept_bytes() const { return kept_; }

 private:
  enum class State { header, data, ended, stopped, failed };
  enum class Entry { file, long_name, pax, skip };

  bool take_header();
  void take_data(std::string_view bytes);
  void end_entry();
  void parse_pax(std::string_view records);

  TarLimits limits_;
  State state_ = State::header;
  std::string header_;  // the header block being assembled
  Entry entry_ = Entry::skip;
  std::uint64_t remaining_ = 0;  // data bytes of the entry still to come
  std::uint64_t padding_ = 0;    // then this many bytes to the next block
  std::string meta_;             // a GNU long name's or a pax header's data, bounded
  std::string next_name_;        // from a long name or pax header, for the entry after it
  std::uint64_t next_size_ = 0;
  bool has_next_size_ = false;
  std::uint64_t kept_ = 0;
  std::uint64_t read_ = 0;
  std::string error_;
  std::vector<TarFile> files_;
};

}  // namespace nbs::jobs
