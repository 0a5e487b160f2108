import CLibEvent

/// Process-wide allocator settings for a long-running `mockmx serve`; the executable applies them, a test
/// process that embeds a host need not.
public enum AllocatorPolicy {
    /// glibc raises its mmap threshold to the largest block freed (up to 32 MiB), after which every retained
    /// multi-megabyte message is carved from the heap, whose holes stay resident once the message is dropped:
    /// the soak in BENCHMARKS.md held 150 MiB over the budgets that way. A fixed threshold keeps buffers of
    /// `bytes` and more mapped on their own, and gives them back to the system when they are freed.
    public static func keepLargeBuffersMapped(from bytes: Int = 1 << 20) {
        mallopt(M_MMAP_THRESHOLD, Int32(bytes))
    }
}
