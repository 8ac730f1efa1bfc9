using System.Diagnostics;
using System.Net.Sockets;
using System.Text;

namespace PromptStudio.Scale.Tests.Infrastructure;

/// <summary>
/// A throw-away <c>redis-server</c> on its own loopback port, for a test that takes Redis away (kill -9) and
/// brings it back on the same port: the shared server of the other tests is never touched. The binary is
/// <c>SCALE_REDIS_SERVER</c> or <c>redis-server</c> on the PATH (.ci/run installs Debian's).
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(string executable, int port)
    {
        Executable = executable;
        Port = port;
    }

    public string Executable { get; }
    public int Port { get; }
    public string ConnectionString => $"127.0.0.1:{Port}";

    public static async Task<RedisServer> StartAsync()
    {
        var executable = Environment.GetEnvironmentVariable("SCALE_REDIS_SERVER") ?? FindOnPath("redis-server");
        if (executable is null) Assert.Skip("This test runs its own redis-server: none on the PATH (set SCALE_REDIS_SERVER).");
        var server = new RedisServer(executable, Servers.FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server (again) on its port, with nothing in it: a restarted Redis keeps no pub/sub state anyway.</summary>
    public async Task StartAgainAsync()
    {
        var start = new ProcessStartInfo(Executable, ["--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--daemonize", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (!await AnswersAsync())
        {
            if (_process.HasExited || DateTime.UtcNow > deadline) throw new InvalidOperationException($"redis-server on port {Port} did not start");
            await Task.Delay(50);
        }
    }

    /// <summary>kill -9: connections drop at once, messages in flight are lost.</summary>
    public void Kill()
    {
        if (_process is null || _process.HasExited) return;
        _process.Kill();
        _process.WaitForExit();
    }

    private async Task<bool> AnswersAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", Port);
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("PING\r\n"));
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    public ValueTask DisposeAsync()
    {
        Kill();
        _process?.Dispose();
        return ValueTask.CompletedTask;
    }
}
