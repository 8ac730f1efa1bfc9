using System.Net;
using System.Net.Sockets;

namespace PromptStudio.Core.Llm;

/// <summary>
/// Which addresses a provider URL may reach. Link-local and cloud metadata addresses are never allowed (they
/// hand out credentials of the machine); loopback and private ranges only when the instance allows private
/// networks. The check runs on the address a connection is about to use, so DNS tricks and redirects are
/// caught as well as literal URLs.
/// </summary>
public static class OutboundAddressPolicy
{
    /// <summary>Why the address is refused, or null when it may be reached.</summary>
    public static string? Refusal(IPAddress address, bool allowPrivateNetworks)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();

        if (IsMetadataOrLinkLocal(address))
            return $"{address} is a link-local or cloud metadata address; providers may never point there.";
        if (allowPrivateNetworks) return null;
        if (IPAddress.IsLoopback(address) || IsUnspecified(address))
            return $"{address} is a loopback address; set Providers:AllowPrivateNetworks to true to allow local providers.";
        if (IsPrivate(address))
            return $"{address} is in a private network range; set Providers:AllowPrivateNetworks to true to allow it.";
        return null;
    }

    private static bool IsUnspecified(IPAddress a) => a.Equals(IPAddress.Any) || a.Equals(IPAddress.IPv6Any);

    private static bool IsMetadataOrLinkLocal(IPAddress a)
    {
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            // 169.254.0.0/16 holds the AWS/GCP/Azure metadata endpoints; 100.100.100.200 is Alibaba's.
            return (b[0] == 169 && b[1] == 254) || (b[0] == 100 && b[1] == 100 && b[2] == 100 && b[3] == 200);
        }
        if (a.IsIPv6LinkLocal) return true;
        // fd00:ec2::254 is the AWS metadata endpoint over IPv6.
        return a.Equals(IPAddress.Parse("fd00:ec2::254"));
    }

    private static bool IsPrivate(IPAddress a)
    {
        if (a.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = a.GetAddressBytes();
            return b[0] == 10
                || (b[0] == 172 && b[1] >= 16 && b[1] <= 31)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 100 && b[1] >= 64 && b[1] <= 127) // carrier-grade NAT
                || b[0] == 0;
        }
        return a.IsIPv6SiteLocal || a.IsIPv6UniqueLocal;
    }

    /// <summary>Resolves the URL's host and refuses it when any of its addresses is refused (a save-time check; connections are checked again).</summary>
    public static async Task<string?> CheckUrlAsync(Uri url, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        if (url.Scheme is not ("http" or "https")) return $"the base URL must use http or https (got '{url.Scheme}').";
        IPAddress[] addresses;
        if (IPAddress.TryParse(url.IdnHost.Trim('[', ']'), out var literal)) addresses = [literal];
        else
        {
            try
            {
                addresses = await Dns.GetHostAddressesAsync(url.IdnHost, cancellationToken);
            }
            catch (SocketException e)
            {
                return $"the host '{url.Host}' could not be resolved ({e.SocketErrorCode}).";
            }
        }
        foreach (var address in addresses)
        {
            if (Refusal(address, allowPrivateNetworks) is { } reason) return reason;
        }
        return null;
    }

    /// <summary>
    /// A connect callback for <see cref="System.Net.Http.SocketsHttpHandler"/>: resolves the host, refuses a blocked
    /// address and connects to the first allowed one. Every connection, including those of redirects, goes through it.
    /// </summary>
    public static Func<System.Net.Http.SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(bool allowPrivateNetworks) =>
        ConnectCallback(address => Refusal(address, allowPrivateNetworks));

    /// <summary>The same with a custom rule: <paramref name="refusal"/> says why an address is refused, or null.</summary>
    public static Func<System.Net.Http.SocketsHttpConnectionContext, CancellationToken, ValueTask<Stream>> ConnectCallback(Func<IPAddress, string?> refusal) =>
        async (context, ct) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
                ? [literal]
                : await Dns.GetHostAddressesAsync(host, ct);
            string? refused = null;
            foreach (var address in addresses)
            {
                refused = refusal(address);
                if (refused is not null) continue;
                var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                try
                {
                    await socket.ConnectAsync(new IPEndPoint(address, context.DnsEndPoint.Port), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            }
            throw new BlockedAddressException($"Refused to connect to {host}: {refused ?? "it has no address"}");
        };
}

/// <summary>A connection to a refused address was attempted; never retried.</summary>
public sealed class BlockedAddressException(string message) : IOException(message);
