using System.IO.Hashing;
using System.Threading.Tasks.Dataflow;

using PeerFlow.Buffers;
using PeerFlow.Compression;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;

namespace PeerFlow.Transfers;

/// <summary>
/// Pays a transfer's one-time costs ahead of it, on a thread of its own: the control-message serializer (MessagePack's
/// untrusted-data settings seed a hash key from the system's cryptographic random source, which loads OpenSSL), the
/// dataflow, hashing and LZ4 code. A receiver calls it while it waits for its first peer and a sender while it loads
/// its transport and connects, so on a machine with a second core these costs leave the transfer's critical path.
/// A sync warms only the control path at first: most of its files are usually unchanged, and on two cores the data
/// path's warm-up would take CPU from the comparison; it warms the data path once data is asked for
/// (<see cref="StartDataPath"/>). Results are discarded; a failure here is ignored (the transfer itself
/// will meet and report it).
/// </summary>
public static class Warmup
{
    private static int s_started;
    private static int s_dataStarted;

    /// <summary>Starts the warm-up once per process; later calls do nothing.</summary>
    /// <param name="dataPath">Also the data path (hashing, LZ4, chunk buffers); false for the control path only.</param>
    public static void Start(bool dataPath = true)
    {
        if (Interlocked.Exchange(ref s_started, 1) == 0)
        {
            // Its own thread, so that it never holds up the pool's workers (two, on a two-core machine).
            dataPath = dataPath && Interlocked.Exchange(ref s_dataStarted, 1) == 0;
            new Thread(() => Run(dataPath)) { IsBackground = true, Name = "PeerFlow warm-up" }.Start();
        }
    }

    /// <summary>
    /// Warms the data path if nothing did yet: a sync calls it when the first verdict that asks for data arrives, a
    /// few milliseconds before its readers start on that file.
    /// </summary>
    public static void StartDataPath()
    {
        if (Interlocked.Exchange(ref s_dataStarted, 1) == 0)
        {
            new Thread(WarmDataPathQuietly) { IsBackground = true, Name = "PeerFlow warm-up" }.Start();
        }
    }

    private static void Run(bool dataPath)
    {
        try
        {
            var writer = new System.Buffers.ArrayBufferWriter<byte>(256);
            FrameWriter.WriteControl(writer, new FileEnd { Id = 1, Length = 0, Hash = new byte[16] });
            ControlMessageSerializer.Deserialize(new System.Buffers.ReadOnlySequence<byte>(writer.WrittenMemory[Protocol.ProtocolConstants.FrameHeaderLength..]));

            if (dataPath)
            {
                WarmDataPath();
            }

            var block = new ActionBlock<object>(static _ => { }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
            block.Post(block);
            block.Complete();
            block.Completion.Wait();
        }
        catch (Exception)
        {
            // Only an optimisation.
        }
    }

    private static void WarmDataPathQuietly()
    {
        try
        {
            WarmDataPath();
        }
        catch (Exception)
        {
            // Only an optimisation.
        }
    }

    private static void WarmDataPath()
    {
        Span<byte> sample = stackalloc byte[4096];
        sample.Fill(42);
        var hasher = new XxHash128();
        hasher.Append(sample);
        _ = hasher.GetCurrentHash();

        using var pool = new ChunkPool();
        using var compressed = ChunkCompressor.TryCompress(sample, pool);
        if (compressed is not null)
        {
            using var _ = ChunkCompressor.Decompress(compressed.Span, sample.Length, pool);
        }
    }
}
