#ifndef ABUSE_INGEST_FILESYNC_H
#define ABUSE_INGEST_FILESYNC_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>

/// Starts the disk writeback of a range of a file without waiting (Linux
/// `sync_file_range(SYNC_FILE_RANGE_WRITE)`), which glibc declares only under _GNU_SOURCE.
static inline int abuse_start_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}

/// Waits until a range's writeback started before is on the disk.
static inline int abuse_wait_writeback(int fd, long long offset, long long length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}

#endif
