import Crypto
import EnforcementEngine
import Foundation
import Logging
import NIOCore
import Primitives

/// The ISPs' side of the service (FORMATS.md §7.1): uploads streamed to disk and hashed on
/// the way, resumable, admitted into the spool only once durable; each reporter sees only
/// its own. Partial uploads wait in `<spool>/.uploads/<reporter>/<name>`.
public final class LogIntake: Sendable {
    /// The request headers the intake reads, by lowercase name.
    public struct Headers: Sendable {
        public var contentLength: Int64?
        public var contentDigest: String?
        public var reprDigest: String?
        public var uploadOffset: String?
        public var uploadComplete: String?

        public init(contentLength: Int64? = nil, contentDigest: String? = nil, reprDigest: String? = nil, uploadOffset: String? = nil, uploadComplete: String? = nil) {
            self.contentLength = contentLength
            self.contentDigest = contentDigest
            self.reprDigest = reprDigest
            self.uploadOffset = uploadOffset
            self.uploadComplete = uploadComplete
        }
    }

    let store: ServiceStore
    let spool: URL
    let settings: LiveSettings
    let metrics: ServerMetrics
    let clock: WallClock
    let logger: Logger
    /// Called when an upload was queued: the ingest worker wakes.
    let queued: @Sendable () -> Void
    let slots = UploadSlots()

    public init(
        store: ServiceStore, spool: URL, settings: LiveSettings, metrics: ServerMetrics, clock: WallClock = .system, logger: Logger,
        queued: @escaping @Sendable () -> Void
    ) {
        self.store = store
        self.spool = spool
        self.settings = settings
        self.metrics = metrics
        self.clock = clock
        self.logger = logger
        self.queued = queued
    }

    /// Uploads whose bodies are being read now.
    public var uploadsInFlight: Int { slots.inFlight }

    var partials: URL { spool.appendingPathComponent(".uploads") }

    func partialPath(reporter: String, name: String) -> URL {
        partials.appendingPathComponent(reporter).appendingPathComponent(name)
    }

    // MARK: Requests

    /// `PUT /v1/logs/{name}`: the whole file in one body.
    /// - Parameter proceed: called once the request passed every check that needs no body,
    ///   just before the body is read (`100 Continue`).
    public func put<Body: AsyncSequence>(
        name: String, reporter: String, headers: Headers, body: Body, proceed: @Sendable () -> Void = {}
    ) async -> IntakeAnswer where Body.Element == ByteBuffer {
        await receive(name: name, reporter: reporter, headers: headers, body: body, offset: nil, proceed: proceed)
    }

    /// `PATCH /v1/logs/{name}`: the next bytes of an interrupted upload.
    public func patch<Body: AsyncSequence>(
        name: String, reporter: String, headers: Headers, body: Body, proceed: @Sendable () -> Void = {}
    ) async -> IntakeAnswer where Body.Element == ByteBuffer {
        guard let text = headers.uploadOffset, let offset = Int64(text), offset >= 0 else {
            return refuse(reporter, .error(400, "PATCH needs Upload-Offset: N (the bytes held, as HEAD tells)"))
        }
        return await receive(name: name, reporter: reporter, headers: headers, body: body, offset: offset, proceed: proceed)
    }

    /// `HEAD /v1/logs/{name}`: the bytes held of an interrupted upload.
    public func head(name: String, reporter: String) -> IntakeAnswer {
        guard UploadName.isValid(name) else { return .init(status: 400, json: nil) }
        let path = partialPath(reporter: reporter, name: name).path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path), let size = attributes[.size] as? NSNumber else {
            return .init(status: 404, json: nil)
        }
        return .init(status: 204, headers: ["Upload-Offset": "\(size.int64Value)"], json: nil)
    }

    /// `GET /v1/logs/{sha256}[?wait=SECONDS]`: one of the reporter's own uploads. With
    /// `wait` (at most 60 s), an upload still queued or ingesting is answered when ingest
    /// has decided, or when the time is up (a long poll: `ship` hears at once).
    public func status(sha256: String, reporter: String, wait: String? = nil) async -> IntakeAnswer {
        guard UploadName.isDigest(sha256) else { return .error(404, "no upload \(sha256.prefix(80)) of yours") }
        var seconds = 0.0
        if let wait {
            guard let value = Double(wait), value >= 0, value.isFinite else { return .error(400, "wait must be a number of seconds") }
            seconds = min(value, 60)
        }
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        do {
            while true {
                guard let record = try store.upload(reporter: reporter, sha256: sha256) else { return .error(404, "no upload \(sha256) of yours") }
                let pending = record.status == .queued || record.status == .ingesting
                if !pending || ContinuousClock.now >= deadline || Task.isCancelled { return .document(200, Self.document(record)) }
                try await Task.sleep(for: .milliseconds(50))
            }
        } catch {
            logger.error("cannot read an upload's status", metadata: ["error": "\(error)"])
            return .error(500, "the store cannot be read")
        }
    }

    /// `GET /v1/logs?since=TIME`: the reporter's own uploads, newest first.
    public func list(since: String?, reporter: String) -> IntakeAnswer {
        var from: Int64?
        if let since {
            guard let time = ISOTime.parse(since) else { return .error(400, "since must be an ISO 8601 time") }
            from = time
        }
        do {
            return .document(200, ["logs": try store.uploads(reporter: reporter, since: from).map(Self.document)])
        } catch {
            logger.error("cannot list uploads", metadata: ["error": "\(error)"])
            return .error(500, "the store cannot be read")
        }
    }

    static func document(_ record: UploadRecord) -> UploadDocument {
        UploadDocument(
            sha256: record.sha256, name: record.name, received: ISOTime.format(millis: record.receivedAt, fraction: false), status: record.status,
            lines: record.lines, events: record.events, unparsed: record.unparsed, firstEvent: record.firstEvent, lastEvent: record.lastEvent,
            error: record.error)
    }

    // MARK: Receiving

    private func refuse(_ reporter: String, _ answer: IntakeAnswer, bytes: Int64 = 0) -> IntakeAnswer {
        let status: String
        switch answer.status {
        case 400: status = "bad_request"
        case 404: status = "not_found"
        case 409: status = "conflict"
        case 413: status = "too_large"
        case 429: status = "too_many"
        case 507: status = "disk_low"
        default: status = "error"
        }
        metrics.upload(reporter: reporter, status: status, bytes: bytes)
        return answer
    }

    /// PUT (offset nil: from the start, hashed on the way) or PATCH (from `offset`).
    private func receive<Body: AsyncSequence>(
        name: String, reporter: String, headers: Headers, body: Body, offset: Int64?, proceed: @Sendable () -> Void
    ) async -> IntakeAnswer where Body.Element == ByteBuffer {
        guard UploadName.isValid(name) else {
            return refuse(reporter, .error(400, "the name must be 1–200 characters of A-Z a-z 0-9 . _ - and not start with '.'"))
        }
        let contentDigest = ContentDigest.parse(headers.contentDigest)
        let reprDigest = ContentDigest.parse(headers.reprDigest)
        if contentDigest == .malformed || reprDigest == .malformed {
            return refuse(reporter, .error(400, "a digest must read sha-256=:<base64 of 32 bytes>:"))
        }
        let config = settings.current
        let limit = config.maxUploadBytes(for: reporter)
        if let length = headers.contentLength, length + (offset ?? 0) > limit {
            return refuse(reporter, .error(413, "the upload is larger than the limit of \(limit) bytes"))
        }
        try? FileManager.default.createDirectory(at: partials.appendingPathComponent(reporter), withIntermediateDirectories: true)
        if let free = FileSystemSync.freeBytes(at: spool.path), free - (headers.contentLength ?? 0) < config.minFreeBytes {
            logger.warning("upload refused: disk low", metadata: ["reporter": "\(reporter)", "free_bytes": "\(free)"])
            return refuse(reporter, .error(507, "the registry's disk is low; try again later", headers: ["Retry-After": "600"]))
        }
        do {
            try slots.acquire(reporter: reporter, name: name, limit: config.maxConcurrentUploads(for: reporter))
        } catch .tooMany {
            return refuse(reporter, .error(429, "too many uploads of yours in flight (limit \(config.maxConcurrentUploads(for: reporter)))", headers: ["Retry-After": "10"]))
        } catch {
            return refuse(reporter, .error(409, "an upload named \(name) is in flight already"))
        }
        defer { slots.release(reporter: reporter, name: name) }

        let path = partialPath(reporter: reporter, name: name)
        if let offset {
            let held = (try? FileManager.default.attributesOfItem(atPath: path.path)[.size] as? NSNumber)?.int64Value
            if held ?? 0 != offset || (held == nil && offset != 0) {
                guard let held else { return refuse(reporter, .error(404, "no interrupted upload named \(name) (start it with PUT)")) }
                return refuse(reporter, .error(409, "the upload holds \(held) bytes, not \(offset)", headers: ["Upload-Offset": "\(held)"]))
            }
        }
        var file: BodyFile
        do {
            file = try BodyFile(path: path.path, truncate: offset == nil)
        } catch {
            logger.error("cannot write an upload", metadata: ["error": "\(error)"])
            return refuse(reporter, .error(500, "the upload cannot be written"))
        }
        let start = file.size
        proceed()
        var whole = offset == nil ? SHA256() : nil
        var part = contentDigest == .absent ? nil : SHA256()
        var interrupted: (any Error)?
        do {
            for try await chunk in body {
                if file.size + Int64(chunk.readableBytes) > limit {
                    try? FileManager.default.removeItem(at: path)
                    logger.notice("upload over the limit", metadata: ["reporter": "\(reporter)", "name": "\(name)", "limit": "\(limit)"])
                    return refuse(reporter, .error(413, "the upload is larger than the limit of \(limit) bytes"), bytes: file.size - start)
                }
                chunk.withUnsafeReadableBytes { bytes in
                    whole?.update(bufferPointer: bytes)
                    part?.update(bufferPointer: bytes)
                }
                try file.append(chunk)
            }
        } catch let failure as BodyFile.Failure {
            return writeFailed(failure, reporter: reporter, file: &file, start: start)
        } catch {
            interrupted = error
        }
        do {
            try file.sync()
        } catch {
            return writeFailed(error, reporter: reporter, file: &file, start: start)
        }
        let received = file.size - start
        if let interrupted, file.size == 0 {
            // Nothing arrived: nothing to resume.
            try? FileManager.default.removeItem(at: path)
            metrics.upload(reporter: reporter, status: "interrupted", bytes: 0)
            return .error(400, "the body ended before any byte arrived (\(interrupted))")
        }
        if let interrupted {
            logger.info(
                "upload interrupted; its bytes are kept for a resume",
                metadata: ["reporter": "\(reporter)", "name": "\(name)", "held": "\(file.size)", "cause": "\(interrupted)"])
            metrics.upload(reporter: reporter, status: "interrupted", bytes: received)
            return .error(400, "the body ended early; \(file.size) bytes are held: resume with PATCH", headers: ["Upload-Offset": "\(file.size)"])
        }
        if case .sha256(let expected) = contentDigest, let part, Array(part.finalize()) != expected {
            if offset == nil { try? FileManager.default.removeItem(at: path) } else { try? file.truncate(to: start) }
            return refuse(reporter, .error(400, "Content-Digest does not match the bytes received; nothing of this request was kept"), bytes: received)
        }
        let complete = offset == nil || headers.uploadComplete == "?1"
        guard complete else {
            metrics.upload(reporter: reporter, status: "partial", bytes: received)
            return .init(status: 204, headers: ["Upload-Offset": "\(file.size)"], json: nil)
        }
        let digest: [UInt8]
        if let whole {
            digest = Array(whole.finalize())
        } else {
            do {
                digest = try Digest.sha256Bytes(file: path.path).digest
            } catch {
                return refuse(reporter, .error(500, "the upload cannot be read back"))
            }
        }
        if case .sha256(let expected) = reprDigest, digest != expected {
            try? FileManager.default.removeItem(at: path)
            return refuse(reporter, .error(400, "Repr-Digest does not match the file; nothing was kept"), bytes: received)
        }
        let sha = Hex.string(digest)
        return admit(reporter: reporter, name: name, sha256: sha, bytes: file.size, received: received, partial: path)
    }

    /// A write that failed: the request's bytes are taken back; a full disk is `507`.
    private func writeFailed(_ failure: BodyFile.Failure, reporter: String, file: inout BodyFile, start: Int64) -> IntakeAnswer {
        try? file.truncate(to: start)
        if start == 0 { try? FileManager.default.removeItem(atPath: file.path) }
        if failure.code == ENOSPC || failure.code == EDQUOT {
            logger.warning("upload refused: the disk is full", metadata: ["reporter": "\(reporter)", "error": "\(failure)"])
            return refuse(reporter, .error(507, "the registry's disk is full; try again later", headers: ["Retry-After": "600"]))
        }
        logger.error("cannot write an upload", metadata: ["error": "\(failure)"])
        return refuse(reporter, .error(500, "the upload cannot be written"))
    }

    private func admit(reporter: String, name: String, sha256: String, bytes: Int64, received: Int64, partial: URL) -> IntakeAnswer {
        let folder = spool.appendingPathComponent(reporter)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            let admission = try store.admit(reporter: reporter, name: name, sha256: sha256, bytes: bytes, partial: partial, now: clock.nowMillis()) {
                let plain = folder.appendingPathComponent(name)
                if !FileManager.default.fileExists(atPath: plain.path) { return plain }
                return folder.appendingPathComponent("\(sha256.prefix(16))-\(name)")
            }
            let record: UploadRecord
            let status: String
            switch admission {
            case .queued(let r):
                (record, status) = (r, "queued")
                queued()
            case .duplicate(let r):
                (record, status) = (r, "duplicate")
            }
            metrics.upload(reporter: reporter, status: status, bytes: received)
            logger.info("upload received", metadata: ["reporter": "\(reporter)", "name": "\(name)", "sha256": "\(sha256)", "bytes": "\(bytes)", "status": "\(status)"])
            return .document(202, ["sha256": sha256, "name": record.name, "status": status, "url": "/v1/logs/\(sha256)"])
        } catch {
            logger.error("cannot admit an upload", metadata: ["reporter": "\(reporter)", "name": "\(name)", "error": "\(error)"])
            return refuse(reporter, .error(500, "the upload cannot be stored"), bytes: received)
        }
    }

    /// Removes partial uploads untouched for longer than `retention`; returns how many.
    @discardableResult
    public func removeStalePartials(olderThan retention: Duration, now: Date) -> Int {
        let fm = FileManager.default
        var removed = 0
        let seconds = Double(retention.components.seconds)
        for reporter in (try? fm.contentsOfDirectory(atPath: partials.path)) ?? [] {
            let folder = partials.appendingPathComponent(reporter)
            for name in (try? fm.contentsOfDirectory(atPath: folder.path)) ?? [] {
                let path = folder.appendingPathComponent(name).path
                guard let modified = (try? fm.attributesOfItem(atPath: path))?[.modificationDate] as? Date, now.timeIntervalSince(modified) > seconds else { continue }
                if (try? fm.removeItem(atPath: path)) != nil { removed += 1 }
            }
        }
        return removed
    }
}
