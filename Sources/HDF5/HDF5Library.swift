import CHDF5

/// Process-wide facts about libhdf5 and the wrapper's one-time set-up.
///
/// **Thread safety.** Debian's `libhdf5-dev` (1.10, serial) is built with `--enable-threadsafe`
/// (`H5_HAVE_THREADSAFE` in `H5pubconf.h`; ``isThreadSafe`` checks it at run time). Such a build
/// guards every API call with one global recursive lock: calls from several threads are safe, but
/// they run one at a time, so parallel reads or writes do not speed up. The wrapper adds no shared
/// mutable Swift state of its own: the only globals are `let` constants initialised once (libhdf5
/// start-up and the two boolean enum types), and each handle guards its identifier with a lock.
///
/// **Error printing.** libhdf5 prints its error stack to `stderr` whenever a call fails, unless that
/// is switched off with `H5Eset_auto2(H5E_DEFAULT, NULL, NULL)`. In a thread-safe build the error
/// stack, and with it that setting, belongs to the calling thread, and every new thread starts with
/// printing on. So the switch is made once per thread, just before the wrapper's first libhdf5 call
/// on it (see `chdf5_silence_error_printing_on_this_thread` in the shim). The stack is not lost:
/// every failure is thrown as an ``HDF5Error`` that carries it as text.
public enum HDF5Library {
    /// The libhdf5 version the program runs with, e.g. "1.10.8".
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, release: UInt32 = 0
        _ = H5get_libversion(&major, &minor, &release)
        return "\(major).\(minor).\(release)"
    }

    /// Whether libhdf5 was built thread-safe (`H5is_library_threadsafe`).
    public static var isThreadSafe: Bool {
        get throws {
            try prepareCurrentThread()
            var threadSafe = false
            try checkStatus(H5is_library_threadsafe(&threadSafe), call: "H5is_library_threadsafe", .library)
            return threadSafe
        }
    }

    /// Whether libhdf5's automatic error printing is off on the calling thread. It is after any
    /// wrapper call on this thread; exposed so that tests can prove it on a fresh thread.
    public static var isErrorPrintingSilencedOnCurrentThread: Bool {
        get throws {
            let state = chdf5_error_printing_is_off_on_this_thread()
            if state < 0 { throw HDF5Error.libraryFailure(call: "H5Eget_auto2", .library) }
            return state == 1
        }
    }

    /// Runs before every libhdf5 call the wrapper makes: initialises the library once per process
    /// and switches automatic error printing off once per thread.
    static func prepareCurrentThread() throws {
        if libraryOpenStatus < 0 { throw HDF5Error.libraryFailure(call: "H5open", .library) }
        if chdf5_silence_error_printing_on_this_thread() < 0 {
            throw HDF5Error.libraryFailure(call: "H5Eset_auto2", .library)
        }
    }
}

/// `H5open()`'s status, run once per process on first use (Swift initialises globals lazily and
/// exactly once, under a lock).
private let libraryOpenStatus: herr_t = {
    _ = chdf5_silence_error_printing_on_this_thread()
    return H5open()
}()
