using System.Diagnostics;

namespace PeerFlow.Compression;

/// <summary>
/// Decides, for <see cref="CompressionMode.Auto"/>, whether chunks are compressed, by measuring which is faster.
/// </summary>
/// <remarks>
/// Compression pays when the link is the bottleneck (fewer bytes on the wire) and costs when it is not (CPU the
/// pipeline needs elsewhere). Which case holds cannot be read off one signal: a writer waiting for the transport may
/// be waiting for a slow link or for a busy receiver. So the governor measures the outcome: it runs one window of
/// <see cref="WindowBytes"/> with compression on and one with it off, keeps whichever moved data faster for the next
/// <see cref="ExploitWindows"/> windows, then measures again, following a link whose speed or data that changes.
/// Compression must be clearly faster (<see cref="Margin"/>) to be kept, since it also costs the receiver.
/// </remarks>
public sealed class CompressionGovernor
{
    /// <summary>Input bytes per measured window.</summary>
    public const long WindowBytes = 32L * 1024 * 1024;

    /// <summary>Windows that use the chosen setting before both are measured again.</summary>
    public const int ExploitWindows = 16;

    /// <summary>How much faster compression must be to be chosen.</summary>
    public const double Margin = 1.05;

    private readonly bool _adaptive;
    private readonly Func<long> _clock;
    private long _windowStart;
    private long _windowBytes;
    private Phase _phase = Phase.MeasureOn;
    private double _rateOn;
    private int _exploitLeft;
    private volatile bool _enabled;

    public CompressionGovernor(CompressionMode mode, Func<long>? clock = null)
    {
        _adaptive = mode == CompressionMode.Auto;
        _enabled = mode != CompressionMode.None;
        _clock = clock ?? Stopwatch.GetTimestamp;
        _windowStart = _clock();
    }

    private enum Phase
    {
        MeasureOn,
        MeasureOff,
        Exploit,
    }

    /// <summary>Whether the next chunk should be compressed.</summary>
    public bool Enabled => _enabled;

    /// <summary>How many times auto mode chose, after measuring both settings, to compress.</summary>
    public int ChoseCompression { get; private set; }

    /// <summary>How many times auto mode chose, after measuring both settings, not to compress.</summary>
    public int ChoseRaw { get; private set; }

    /// <summary>Called by the compress stage (one thread) for every chunk, before it is compressed or not.</summary>
    public void Observe(int chunkLength)
    {
        if (!_adaptive)
        {
            return;
        }

        _windowBytes += chunkLength;
        if (_windowBytes < WindowBytes)
        {
            return;
        }

        var now = _clock();
        var rate = _windowBytes / (double)Math.Max(now - _windowStart, 1);
        switch (_phase)
        {
            case Phase.MeasureOn:
                _rateOn = rate;
                _enabled = false;
                _phase = Phase.MeasureOff;
                break;
            case Phase.MeasureOff:
                _enabled = _rateOn >= rate * Margin;
                if (_enabled)
                {
                    ChoseCompression++;
                }
                else
                {
                    ChoseRaw++;
                }

                _exploitLeft = ExploitWindows;
                _phase = Phase.Exploit;
                break;
            default:
                if (--_exploitLeft == 0)
                {
                    _enabled = true;
                    _phase = Phase.MeasureOn;
                }

                break;
        }

        _windowStart = now;
        _windowBytes = 0;
    }
}
