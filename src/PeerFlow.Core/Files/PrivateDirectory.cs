namespace PeerFlow.Files;

/// <summary>Directories only their owner may enter (mode 0700 on Unix): PeerFlow's home and its partial files.</summary>
internal static class PrivateDirectory
{
    /// <summary>Creates <paramref name="path"/> (and missing parents) if it does not exist; an existing one is left as it is.</summary>
    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
