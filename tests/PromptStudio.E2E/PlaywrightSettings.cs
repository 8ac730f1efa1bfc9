using System.Globalization;
using System.Text.Json;

namespace PromptStudio.E2E;

/// <summary>
/// The browser settings of the end-to-end tests, read from <c>playwright.config</c> (JSON) at the repository
/// root. Every value can be overridden by an environment variable:
/// <list type="table">
/// <item><term>PLAYWRIGHT_CONFIG</term><description>path of the settings file (default: the repository's <c>playwright.config</c>)</description></item>
/// <item><term>PROMPTSTUDIO_E2E_BROWSER</term><description>browser executable (default <c>/usr/bin/chromium</c>)</description></item>
/// <item><term>PROMPTSTUDIO_E2E_HEADLESS</term><description><c>true</c> or <c>false</c></description></item>
/// <item><term>PROMPTSTUDIO_E2E_BROWSER_ARGS</term><description>launch arguments, separated by spaces (replaces the list)</description></item>
/// <item><term>PROMPTSTUDIO_E2E_ACTION_TIMEOUT_MS</term><description>clicks, fills and other actions</description></item>
/// <item><term>PROMPTSTUDIO_E2E_NAVIGATION_TIMEOUT_MS</term><description>page loads</description></item>
/// <item><term>PROMPTSTUDIO_E2E_EXPECT_TIMEOUT_MS</term><description>how long an <c>Expect(…)</c> waits for its condition</description></item>
/// <item><term>PROMPTSTUDIO_E2E_JOB_TIMEOUT_MS</term><description>how long a test waits for a job to reach a state</description></item>
/// <item><term>PROMPTSTUDIO_E2E_SCREENSHOTS</term><description>folder for screenshots of failed tests (relative paths: from the repository root)</description></item>
/// </list>
/// </summary>
public sealed record PlaywrightSettings(
    string ExecutablePath,
    bool Headless,
    IReadOnlyList<string> Args,
    int ViewportWidth,
    int ViewportHeight,
    int ActionTimeoutMs,
    int NavigationTimeoutMs,
    int ExpectTimeoutMs,
    int JobTimeoutMs,
    string ScreenshotsFolder)
{
    public static PlaywrightSettings Load()
    {
        var root = RepositoryRoot();
        var path = Env("PLAYWRIGHT_CONFIG") ?? Path.Combine(root, "playwright.config");
        using var document = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var json = document.RootElement;
        var browser = json.GetProperty("browser");
        var timeouts = json.GetProperty("timeouts");
        var viewport = json.GetProperty("viewport");

        var screenshots = Env("PROMPTSTUDIO_E2E_SCREENSHOTS") ?? json.GetProperty("screenshotsOnFailure").GetString()!;
        return new PlaywrightSettings(
            Env("PROMPTSTUDIO_E2E_BROWSER") ?? browser.GetProperty("executablePath").GetString()!,
            Env("PROMPTSTUDIO_E2E_HEADLESS") is { } headless ? bool.Parse(headless) : browser.GetProperty("headless").GetBoolean(),
            Env("PROMPTSTUDIO_E2E_BROWSER_ARGS")?.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                ?? browser.GetProperty("args").EnumerateArray().Select(a => a.GetString()!).ToArray(),
            viewport.GetProperty("width").GetInt32(),
            viewport.GetProperty("height").GetInt32(),
            Int("PROMPTSTUDIO_E2E_ACTION_TIMEOUT_MS") ?? timeouts.GetProperty("actionMs").GetInt32(),
            Int("PROMPTSTUDIO_E2E_NAVIGATION_TIMEOUT_MS") ?? timeouts.GetProperty("navigationMs").GetInt32(),
            Int("PROMPTSTUDIO_E2E_EXPECT_TIMEOUT_MS") ?? timeouts.GetProperty("expectMs").GetInt32(),
            Int("PROMPTSTUDIO_E2E_JOB_TIMEOUT_MS") ?? timeouts.GetProperty("jobMs").GetInt32(),
            Path.GetFullPath(screenshots, root));
    }

    /// <summary>The folder that holds PromptStudio.sln, found from the test's output folder upwards.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PromptStudio.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"PromptStudio.sln was not found above {AppContext.BaseDirectory}.");
    }

    private static string? Env(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value : null;

    private static int? Int(string name) => Env(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : null;
}
