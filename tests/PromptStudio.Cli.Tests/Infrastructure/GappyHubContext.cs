using Microsoft.AspNetCore.SignalR;
using PromptStudio.Client;
using PromptStudio.Web.Hubs;

namespace PromptStudio.Cli.Tests.Infrastructure;

/// <summary>
/// The hub context the server's event streams send through, with a switch that makes chosen events vanish on the
/// way to the client (the server believes them sent), so a test can prove a client fills such a gap itself.
/// </summary>
public sealed class GappyHubContext(IHubContext<OptimizationHub> inner, Func<JobEventDto, bool> drop) : IHubContext<OptimizationHub, IOptimizationClient>
{
    public IHubClients<IOptimizationClient> Clients { get; } = new GappyClients(inner.Clients, drop);

    public IGroupManager Groups => inner.Groups;

    private sealed class GappyClients(IHubClients clients, Func<JobEventDto, bool> drop) : IHubClients<IOptimizationClient>
    {
        public IOptimizationClient All => Wrap(clients.All);

        public IOptimizationClient AllExcept(IReadOnlyList<string> excludedConnectionIds) => Wrap(clients.AllExcept(excludedConnectionIds));

        public IOptimizationClient Client(string connectionId) => Wrap(clients.Client(connectionId));

        public IOptimizationClient Clients(IReadOnlyList<string> connectionIds) => Wrap(clients.Clients(connectionIds));

        public IOptimizationClient Group(string groupName) => Wrap(clients.Group(groupName));

        public IOptimizationClient GroupExcept(string groupName, IReadOnlyList<string> excludedConnectionIds) => Wrap(clients.GroupExcept(groupName, excludedConnectionIds));

        public IOptimizationClient Groups(IReadOnlyList<string> groupNames) => Wrap(clients.Groups(groupNames));

        public IOptimizationClient User(string userId) => Wrap(clients.User(userId));

        public IOptimizationClient Users(IReadOnlyList<string> userIds) => Wrap(clients.Users(userIds));

        private Proxy Wrap(IClientProxy proxy) => new(proxy, drop);
    }

    private sealed class Proxy(IClientProxy proxy, Func<JobEventDto, bool> drop) : IOptimizationClient
    {
        public Task JobEvent(JobEventDto jobEvent) =>
            drop(jobEvent) ? Task.CompletedTask : proxy.SendAsync(nameof(JobEvent), jobEvent);

        public Task JobUpdated(JobDto job) => proxy.SendAsync(nameof(JobUpdated), job);
    }
}
