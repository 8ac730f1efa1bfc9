using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace PromptStudio.Bench;

/// <summary>`--jit-log`: which methods the runtime compiles during measured runs (they should be none after the warm-up).</summary>
internal sealed class JitLog : EventListener
{
    public static readonly ConcurrentDictionary<string, int> Methods = new();
    public static volatile bool Recording;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x10);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!Recording || e.EventName is null || !e.EventName.StartsWith("MethodLoadVerbose", StringComparison.Ordinal) || e.Payload is null) return;
        string Get(string name) => e.PayloadNames!.IndexOf(name) is var i and >= 0 ? e.Payload![i]?.ToString() ?? "" : "";
        var flags = uint.Parse(Get("MethodFlags"), System.Globalization.CultureInfo.InvariantCulture);
        var ns = Get("MethodNamespace");
        var key = $"tier {(flags >> 7) & 0xF} dynamic={(flags & 1) != 0} {string.Join('.', ns.Split('.').Take(3))}";
        Methods.AddOrUpdate(key, 1, (_, n) => n + 1);
    }
}
