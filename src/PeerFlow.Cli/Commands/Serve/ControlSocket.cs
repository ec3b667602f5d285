using System.Net.Sockets;
using System.Text;
using System.Text.Json;

using Microsoft.Extensions.Logging;

namespace PeerFlow.Cli.Commands.Serve;

/// <summary>
/// The daemon's local control interface: a Unix domain socket only its owner may open (mode 0600, in the owner-only
/// PeerFlow home by default). One request per connection, one JSON object per line each way:
/// <c>{"command":"list"}</c>, <c>{"command":"pause"|"resume"|"cancel","id":"PREFIX","discard":false}</c>; the
/// answer is <c>{"ok":true,...}</c> or <c>{"ok":false,"error":"..."}</c>.
/// </summary>
internal sealed partial class ControlSocket(string path, TransferRegistry registry) : IAsyncDisposable
{
    private ILogger logger = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    private Socket? _socket;
    private Task? _loop;
    private readonly CancellationTokenSource _stop = new();

    public string Path { get; } = path;

    public void Start()
    {
        if (new FileInfo(Path).Attributes != (FileAttributes)(-1) && !Directory.Exists(Path))
        {
            using (var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
            {
                try
                {
                    probe.Connect(new UnixDomainSocketEndPoint(Path));
                    throw new IOException($"another daemon answers on the control socket {Path}; give this one another (serve.controlSocket)");
                }
                catch (SocketException)
                {
                    // A socket left by a daemon that did not stop cleanly: nobody answers on it any more.
                }
            }

            File.Delete(Path);
        }

        _socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            _socket.Bind(new UnixDomainSocketEndPoint(Path));
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            throw new IOException($"cannot open the control socket {Path}: {ex.Message}", ex);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        _socket.Listen(8);
        _loop = Task.Run(AcceptAsync);
    }

    /// <summary>From now on requests are logged to <paramref name="log"/> (the host's logging exists only once the socket is up).</summary>
    public void LogTo(ILogger log)
    {
        logger = log;
        LogListening(Path);
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _socket!.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(Socket client)
    {
        using (client)
        await using (var stream = new NetworkStream(client, ownsSocket: false))
        {
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                using var reader = new StreamReader(stream, Encoding.UTF8, leaveOpen: true);
                var line = await reader.ReadLineAsync(timeout.Token).ConfigureAwait(false) ?? "";
                var answer = await AnswerAsync(line).ConfigureAwait(false);
                await stream.WriteAsync(Encoding.UTF8.GetBytes(answer + "\n"), timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or SocketException)
            {
            }
        }
    }

    private async Task<string> AnswerAsync(string line)
    {
        string command, id;
        bool discard;
        try
        {
            using var request = JsonDocument.Parse(line);
            command = request.RootElement.GetProperty("command").GetString() ?? "";
            id = request.RootElement.TryGetProperty("id", out var given) ? given.GetString() ?? "" : "";
            discard = request.RootElement.TryGetProperty("discard", out var wipe) && wipe.ValueKind == JsonValueKind.True;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return Error("a request is one JSON object with a \"command\"");
        }

        if (command == "list")
        {
            return List();
        }

        if (command is not ("pause" or "resume" or "cancel"))
        {
            return Error($"unknown command '{command}' (list, pause, resume, cancel)");
        }

        var (entry, error) = registry.Find(id);
        if (entry is null)
        {
            return Error(error!);
        }

        LogCommand(command, entry.Started.TransferId);
        switch (command)
        {
            case "pause":
                await entry.Control.PauseAsync().ConfigureAwait(false);
                break;
            case "resume":
                await entry.Control.ResumeAsync().ConfigureAwait(false);
                break;
            default:
                await entry.Control.CancelAsync(discard).ConfigureAwait(false);
                break;
        }

        return Write(w =>
        {
            w.WriteBoolean("ok", true);
            w.WriteString("id", entry.Started.TransferId);
        });
    }

    private string List() => Write(w =>
    {
        w.WriteBoolean("ok", true);
        w.WriteStartArray("transfers");
        foreach (var entry in registry.Running)
        {
            var started = entry.Started;
            w.WriteStartObject();
            w.WriteString("id", started.TransferId);
            w.WriteString("state", entry.State.ToString());
            w.WriteString("peer", started.Peer);
            w.WriteString("peerId", started.PeerId);
            w.WriteString("target", started.Target);
            w.WriteBoolean("sync", started.Sync);
            w.WriteStartArray("roots");
            foreach (var root in started.Roots)
            {
                w.WriteStringValue(root);
            }

            w.WriteEndArray();
            w.WriteNumber("filesDone", entry.Progress?.FilesDone ?? 0);
            w.WriteNumber("filesTotal", entry.Progress?.FilesTotal ?? started.TotalFiles);
            w.WriteNumber("bytesDone", entry.Progress?.BytesDone ?? 0);
            w.WriteNumber("bytesTotal", entry.Progress?.BytesTotal ?? started.TotalBytes);
            w.WriteNumber("bytesPerSecond", Math.Round(entry.Progress?.BytesPerSecond ?? 0));
            w.WriteBoolean("pausedHere", entry.Control.IsPaused);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    private static string Error(string message) => Write(w =>
    {
        w.WriteBoolean("ok", false);
        w.WriteString("error", message);
    });

    private static string Write(Action<Utf8JsonWriter> body) => Rendering.JsonText.Object(body);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _socket?.Dispose();
        if (_loop is not null)
        {
            await _loop.ConfigureAwait(false);
        }

        try
        {
            File.Delete(Path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
        }

        _stop.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "control interface on {Path} (peerflow transfers list|pause|resume|cancel)")]
    private partial void LogListening(string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "control: {Command} transfer {TransferId}")]
    private partial void LogCommand(string command, string transferId);
}
