using System.Diagnostics;
using System.Net;
using System.Text;

namespace PromptStudio.Scale.Tests.Infrastructure;

/// <summary>
/// One app process (<c>dotnet PromptStudio.Web.dll</c>) on a loopback port: a real process, so a test can
/// kill -9 it, stop and continue it, or send it SIGTERM. Its console output is kept for assertions.
/// </summary>
public sealed class Node : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private Node(string name, int port, Process process)
    {
        Name = name;
        Port = port;
        _process = process;
        BaseAddress = new Uri($"http://127.0.0.1:{port}/");
    }

    public string Name { get; }
    public int Port { get; }
    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public static async Task<Node> StartAsync(string name, IReadOnlyDictionary<string, string> settings)
    {
        var port = Servers.FreePort();
        var app = AppPath();
        var start = new ProcessStartInfo("dotnet", [app])
        {
            WorkingDirectory = Path.GetDirectoryName(app)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Jobs__NodeId"] = name;
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__Console__FormatterName"] = "simple";
        foreach (var (key, value) in settings) start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;

        var node = new Node(name, port, Process.Start(start)!);
        node._process.OutputDataReceived += (_, e) => node.Append(e.Data);
        node._process.ErrorDataReceived += (_, e) => node.Append(e.Data);
        node._process.BeginOutputReadLine();
        node._process.BeginErrorReadLine();
        await node.WaitReadyAsync(TimeSpan.FromSeconds(60));
        return node;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private async Task WaitReadyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"Node {Name} exited with {_process.ExitCode}:\n{Output}");
            try
            {
                if ((await http.GetAsync("health/ready")).StatusCode == HttpStatusCode.OK) return;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"Node {Name} was not ready within {timeout.TotalSeconds:0}s:\n{Output}");
    }

    /// <summary>kill -9: no shutdown code runs, the lease stays in the database until it expires.</summary>
    public void KillHard()
    {
        _process.Kill();
        _process.WaitForExit();
    }

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        if (kill.ExitCode != 0) throw new InvalidOperationException($"kill -{signal} {ProcessId} failed");
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A stopped process ignores SIGKILL until continued on some kernels' accounting; continue it first.
            try { Signal("CONT"); } catch (InvalidOperationException) { }
            _process.Kill();
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }


    /// <summary>The app's build output beside this test project's (same configuration and framework).</summary>
    private static string AppPath()
    {
        var testBin = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var framework = testBin.Name;
        var configuration = testBin.Parent!.Name;
        var root = testBin.Parent.Parent!.Parent!.Parent!.Parent!.FullName;
        var app = Path.Combine(root, "src", "PromptStudio.Web", "bin", configuration, framework, "PromptStudio.Web.dll");
        return File.Exists(app) ? app : throw new FileNotFoundException("Build src/PromptStudio.Web first", app);
    }
}
