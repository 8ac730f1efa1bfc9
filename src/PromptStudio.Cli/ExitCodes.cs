namespace PromptStudio.Cli;

/// <summary>The process exit codes, as the README documents them.</summary>
public static class ExitCodes
{
    /// <summary>Done; for watch: the job completed.</summary>
    public const int Success = 0;

    /// <summary>The server refused or could not be reached, the input was bad, or (for watch) the job failed or was cancelled.</summary>
    public const int Failure = 1;

    /// <summary>The command line was wrong: unknown command or option, missing or malformed argument.</summary>
    public const int Usage = 2;

    /// <summary>Ctrl+C: the command stopped (watch stops watching; the job goes on).</summary>
    public const int Interrupted = 130;
}

/// <summary>A command line that parses but makes no sense (e.g. a tuning value without '='); exits with <see cref="ExitCodes.Usage"/>.</summary>
public sealed class UsageException(string message) : Exception(message);

/// <summary>A failure already explained to the user, with its exit code.</summary>
public sealed class CliFailureException(string message, int exitCode = ExitCodes.Failure) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}
