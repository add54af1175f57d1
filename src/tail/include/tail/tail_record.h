// rbus-tail --record FILE: every shown envelope appended to FILE as one
// canonical JSON line, so that `rbus-publish --envelopes FILE` replays the
// session with the same ids.
#pragma once

#include <string>

#include <string_view>

namespace rbus {

class RecordFile {
public:
    // Opens (creating, 0644) for appending. Throws Error naming the file.
    explicit RecordFile(std::string path);
    ~RecordFile();
    RecordFile(const RecordFile&) = delete;
    RecordFile& operator=(const RecordFile&) = delete;

    // Buffers the envelope's dump() and a newline.
    void append(std::string_view envelope);
    // Writes what is buffered (after each burst). Throws Error naming the file.
    void flush();

private:
    std::string path_;
    int fd_ = -1;
    std::string buf_;
};

}  // namespace rbus
