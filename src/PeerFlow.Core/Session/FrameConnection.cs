using System.Buffers;
using System.IO.Pipelines;

using PeerFlow.Protocol;
using PeerFlow.Protocol.Framing;
using PeerFlow.Protocol.Messages;
using PeerFlow.Transports;

namespace PeerFlow.Session;

/// <summary>
/// A transport connection seen as PeerFlow frames: the preface, control messages, and a frame loop for bulk data.
/// One reader and one writer at a time, as the pipes require.
/// </summary>
public sealed class FrameConnection
{
    private readonly SemaphoreSlim _outputLock = new(1, 1);
    private long _inputWaitSince;
    private long _lastOutput = Environment.TickCount64;

    public FrameConnection(ITransportConnection connection)
    {
        Connection = connection;
        Input = connection.Transport.Input;
        Output = connection.Transport.Output;
    }

    public ITransportConnection Connection { get; }

    public PipeReader Input { get; }

    public PipeWriter Output { get; }

    /// <summary>Whether our preface has been written; frames, error messages included, may only follow it.</summary>
    public bool PrefaceWritten { get; private set; }

    /// <summary>Writes our preface (not flushed).</summary>
    public void WritePreface()
    {
        FrameWriter.WritePreface(Output);
        PrefaceWritten = true;
    }

    /// <summary>
    /// How long the current read has waited for the peer without receiving a byte; zero while we are busy with what
    /// arrived (a slow consumer is not a silent peer).
    /// </summary>
    public TimeSpan InputIdle
    {
        get
        {
            var since = Volatile.Read(ref _inputWaitSince);
            return since == 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Environment.TickCount64 - since);
        }
    }

    /// <summary>How long since we last flushed anything to the peer.</summary>
    public TimeSpan OutputIdle => TimeSpan.FromMilliseconds(Environment.TickCount64 - Volatile.Read(ref _lastOutput));

    /// <summary>
    /// Takes the output for one writer (the pipeline's writer, a heartbeat, a pause message): the pipe allows one
    /// writer at a time. Release with <see cref="ExitOutput"/>.
    /// </summary>
    public ValueTask EnterOutputAsync(CancellationToken cancellationToken)
        => _outputLock.Wait(0) ? default : new ValueTask(_outputLock.WaitAsync(cancellationToken));

    /// <summary>Takes the output only if nobody holds it.</summary>
    public bool TryEnterOutput() => _outputLock.Wait(0);

    public void ExitOutput() => _outputLock.Release();

    /// <summary>Flushes the output; fails if the peer is gone. The caller holds the output (or is alone).</summary>
    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var result = await Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        Volatile.Write(ref _lastOutput, Environment.TickCount64);
        if (result.IsCompleted)
        {
            throw new TransportException(TransportError.ConnectionReset, "the peer closed the connection");
        }
    }

    /// <summary>Writes and flushes one control message, holding the output meanwhile.</summary>
    public async ValueTask SendControlAsync(ControlMessage message, CancellationToken cancellationToken)
    {
        await EnterOutputAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            FrameWriter.WriteControl(Output, message);
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ExitOutput();
        }
    }

    /// <summary>Reads from the input, remembering meanwhile that we are waiting for the peer.</summary>
    private async ValueTask<ReadResult> ReadInputAsync(CancellationToken cancellationToken)
    {
        Volatile.Write(ref _inputWaitSince, Environment.TickCount64);
        try
        {
            return await Input.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _inputWaitSince, 0);
        }
    }

    /// <summary>Reads and checks the peer's preface.</summary>
    public async ValueTask ReadPrefaceAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await Input.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (buffer.Length >= ProtocolConstants.PrefaceLength)
            {
                Span<byte> preface = stackalloc byte[ProtocolConstants.PrefaceLength];
                buffer.Slice(0, ProtocolConstants.PrefaceLength).CopyTo(preface);
                if (!preface.SequenceEqual(ProtocolConstants.Preface))
                {
                    throw new ProtocolException("the peer does not speak the PeerFlow protocol (bad preface)");
                }

                Input.AdvanceTo(buffer.GetPosition(ProtocolConstants.PrefaceLength));
                return;
            }

            if (result.IsCompleted)
            {
                throw new ProtocolException("the peer closed the connection before the handshake");
            }

            Input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads the next frame, which must be a control frame. A peer's <see cref="ErrorMessage"/> is thrown as <see cref="PeerErrorException"/>.</summary>
    public async ValueTask<ControlMessage> ReadControlAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await ReadInputAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            if (FrameReader.TryParse(ref buffer, out var frame))
            {
                if (frame.Type != FrameType.Control)
                {
                    throw new ProtocolException($"expected a control frame, got a {frame.Type} frame");
                }

                var message = ControlMessageSerializer.Deserialize(frame);
                Input.AdvanceTo(buffer.Start);
                return message switch
                {
                    ErrorMessage error => throw new PeerErrorException(error.Code, error.Message),
                    CancelTransfer cancel => throw new PeerCancelledException(cancel.Reason, cancel.DiscardPartial),
                    _ => message,
                };
            }

            if (result.IsCompleted)
            {
                throw new TransportException(TransportError.ConnectionReset, "the peer closed the connection unexpectedly");
            }

            Input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>Reads the next control message and checks its type.</summary>
    public async ValueTask<T> ReadControlAsync<T>(CancellationToken cancellationToken)
        where T : ControlMessage
    {
        var message = await ReadControlAsync(cancellationToken).ConfigureAwait(false);
        return message as T ?? throw new ProtocolException($"expected {typeof(T).Name}, got {message.GetType().Name}");
    }

    /// <summary>
    /// Hands every frame to <paramref name="onFrame"/> until it returns <see langword="false"/>. A frame's payload is
    /// valid only until the handler's first await, so the handler copies what it keeps before awaiting anything.
    /// Throws when the input ends first, unless <paramref name="endAtClose"/> and it ends between two frames.
    /// </summary>
    public async Task ReadFramesAsync(Func<Frame, ValueTask<bool>> onFrame, CancellationToken cancellationToken, bool endAtClose = false)
    {
        while (true)
        {
            var result = await ReadInputAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            var keepGoing = true;
            while (keepGoing && FrameReader.TryParse(ref buffer, out var frame))
            {
                keepGoing = await onFrame(frame).ConfigureAwait(false);
            }

            if (!keepGoing)
            {
                Input.AdvanceTo(buffer.Start);
                return;
            }

            if (result.IsCompleted)
            {
                if (endAtClose && buffer.IsEmpty)
                {
                    Input.AdvanceTo(buffer.End);
                    return;
                }

                throw new TransportException(TransportError.ConnectionReset, "the connection closed in the middle of the transfer");
            }

            Input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>
    /// Reads and discards input until the peer closes its side or <paramref name="limit"/> passes, so that what we
    /// sent last (a summary, an error, a cancel) is not destroyed by a reset before the peer has read it. Never throws.
    /// </summary>
    public async Task DrainInputAsync(TimeSpan limit)
    {
        using var timeout = new CancellationTokenSource(limit);
        try
        {
            while (true)
            {
                var result = await Input.ReadAsync(timeout.Token).ConfigureAwait(false);
                Input.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TransportException or IOException or InvalidOperationException)
        {
        }
    }

    /// <summary>
    /// Best effort: tell the peer why we stop. Never throws; false if the message could not be sent, or may not be:
    /// before our preface (the peer did not even speak PeerFlow), nothing is answered.
    /// </summary>
    public async ValueTask<bool> TrySendErrorAsync(ErrorCode code, string message)
    {
        if (!PrefaceWritten)
        {
            return false;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await SendControlAsync(new ErrorMessage { Code = code, Message = message }, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (Exception)
        {
            // The connection may already be gone; the local error is what matters.
            return false;
        }
    }
}

/// <summary>The peer cancelled the transfer on purpose (not an error: both sides end Cancelled).</summary>
public sealed class PeerCancelledException(string reason, bool discardPartial)
    : OperationCanceledException(string.IsNullOrEmpty(reason) ? "the peer cancelled the transfer" : $"the peer cancelled the transfer: {reason}")
{
    public bool DiscardPartial { get; } = discardPartial;
}

/// <summary>The peer reported a fatal error and ended the session.</summary>
public sealed class PeerErrorException(ErrorCode code, string message)
    : Exception($"the peer reported: {message}")
{
    public ErrorCode Code { get; } = code;
}
