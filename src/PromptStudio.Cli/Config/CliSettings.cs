using System.Text.Json;
using System.Text.Json.Serialization;

namespace PromptStudio.Cli.Config;

/// <summary>What <c>config set</c> stores: the server URL and the API key.</summary>
public sealed record ConfigFile(string? Url = null, string? ApiKey = null);

/// <summary>A setting's effective value and where it came from (environment, config file or default).</summary>
public sealed record Setting(string? Value, string Source);

/// <summary>
/// The CLI's settings. The file is <c>config.json</c> in <c>$PROMPTSTUDIO_CONFIG_DIR</c>, else in the user's
/// config folder (<c>~/.config/promptstudio</c> on Linux); <c>PROMPTSTUDIO_URL</c> and <c>PROMPTSTUDIO_API_KEY</c>
/// override it.
/// </summary>
public sealed class CliSettings(Func<string, string?> environment)
{
    public const string DefaultUrl = "http://localhost:5000";
    public const string UrlVariable = "PROMPTSTUDIO_URL";
    public const string ApiKeyVariable = "PROMPTSTUDIO_API_KEY";
    public const string ConfigDirVariable = "PROMPTSTUDIO_CONFIG_DIR";

    private static readonly JsonSerializerOptions FileJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public string ConfigDirectory =>
        NonEmpty(environment(ConfigDirVariable))
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData, Environment.SpecialFolderOption.DoNotVerify), "promptstudio");

    public string ConfigPath => Path.Combine(ConfigDirectory, "config.json");

    public ConfigFile Load()
    {
        if (!File.Exists(ConfigPath)) return new ConfigFile();
        try
        {
            return JsonSerializer.Deserialize<ConfigFile>(File.ReadAllText(ConfigPath), FileJson) ?? new ConfigFile();
        }
        catch (JsonException e)
        {
            throw new CliFailureException($"The config file {ConfigPath} is not valid JSON ({e.Message}); fix it or delete it and run 'promptstudio config set' again.");
        }
    }

    public void Save(ConfigFile config)
    {
        Directory.CreateDirectory(ConfigDirectory);
        File.WriteAllText(ConfigPath, JsonSerializer.Serialize(config, FileJson));
        // The file holds an API key: only its owner may read it.
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(ConfigPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    public Setting Url
    {
        get
        {
            if (NonEmpty(environment(UrlVariable)) is { } fromEnv) return new Setting(fromEnv, $"environment ({UrlVariable})");
            if (NonEmpty(Load().Url) is { } fromFile) return new Setting(fromFile, "config file");
            return new Setting(DefaultUrl, "default");
        }
    }

    public Setting ApiKey
    {
        get
        {
            if (NonEmpty(environment(ApiKeyVariable)) is { } fromEnv) return new Setting(fromEnv, $"environment ({ApiKeyVariable})");
            if (NonEmpty(Load().ApiKey) is { } fromFile) return new Setting(fromFile, "config file");
            return new Setting(null, "not set");
        }
    }

    /// <summary>The URL as an absolute http(s) address, or a usage error naming what is wrong.</summary>
    public static Uri ParseUrl(string value)
    {
        if (Uri.TryCreate(value.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
            return uri;
        throw new UsageException($"'{value}' is not an http:// or https:// URL (e.g. {DefaultUrl}).");
    }

    /// <summary>Enough of a key to recognise it, never enough to use it.</summary>
    public static string Mask(string key) => key.Length <= 8 ? new string('*', key.Length) : $"{key[..4]}…{key[^4..]}";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
