using Microsoft.AspNetCore.Http.HttpResults;
using PromptStudio.Client;
using PromptStudio.Web.Providers;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

public static class ProvidersApi
{
    public static RouteGroupBuilder MapProvidersApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/providers").WithTags("Providers");

        group.MapGet("/", async (ProviderService providers, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await providers.ListAsync(ws.WorkspaceId, ct)))
            .WithSummary("The workspace's LLM providers (API keys are never returned, only their last 4 characters)");

        group.MapPost("/", async Task<Created<ProviderDto>> (SaveProviderRequest request, ProviderService providers, WorkspaceContext ws, Auth.AuditLog audit, CancellationToken ct) =>
        {
            var provider = await providers.CreateAsync(ws.WorkspaceId, request, ct);
            await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "provider.created", $"provider {provider.Id} '{provider.Name}'", provider.Kind, ct);
            return TypedResults.Created($"/api/providers/{provider.Id}", provider);
        }).WithSummary("Add a provider").RequirePermission(Permission.Admin);

        group.MapGet("/{id:int}", async (int id, ProviderService providers, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await providers.GetAsync(ws.WorkspaceId, id, ct)));

        group.MapPut("/{id:int}", async (int id, SaveProviderRequest request, ProviderService providers, WorkspaceContext ws, Auth.AuditLog audit, CancellationToken ct) =>
        {
            var provider = await providers.UpdateAsync(ws.WorkspaceId, id, request, ct);
            await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "provider.updated", $"provider {id} '{provider.Name}'", null, ct);
            return TypedResults.Ok(provider);
        }).WithSummary("Replace a provider's settings; an absent apiKey keeps the stored one, an empty one removes it").RequirePermission(Permission.Admin);

        group.MapDelete("/{id:int}", async (int id, ProviderService providers, WorkspaceContext ws, Auth.AuditLog audit, CancellationToken ct) =>
        {
            await providers.DeleteAsync(ws.WorkspaceId, id, ct);
            await audit.WriteAsync(ws.WorkspaceId, ws.UserName, "provider.deleted", $"provider {id}", null, ct);
            return TypedResults.NoContent();
        }).RequirePermission(Permission.Admin);

        group.MapPost("/{id:int}/test", async (int id, ProviderService providers, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await providers.TestAsync(ws.WorkspaceId, id, ct)))
            .WithSummary("Test connection: one tiny real call, the outcome in words").RequirePermission(Permission.Admin);

        return api;
    }
}
