using Microsoft.AspNetCore.Http.HttpResults;
using PromptStudio.Client;
using PromptStudio.Web.Prompts;
using PromptStudio.Web.Workspaces;

namespace PromptStudio.Web.Api;

public static class PromptsApi
{
    public static RouteGroupBuilder MapPromptsApi(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/prompts").WithTags("Prompts");

        group.MapGet("/", async (PromptService prompts, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await prompts.ListLatestAsync(ws.WorkspaceId, ct)))
            .WithSummary("The latest version of every prompt");

        group.MapPost("/", async Task<Created<PromptDto>> (CreatePromptRequest request, PromptService prompts, WorkspaceContext ws, CancellationToken ct) =>
        {
            var prompt = await prompts.CreateAsync(ws, request, ct);
            return TypedResults.Created($"/api/prompts/{prompt.Id}", prompt);
        }).WithSummary("Create a prompt (version 1)");

        group.MapGet("/{id:int}", async (int id, PromptService prompts, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await prompts.GetAsync(ws.WorkspaceId, id, ct)))
            .WithSummary("One prompt version");

        group.MapGet("/{id:int}/versions", async (int id, PromptService prompts, WorkspaceContext ws, CancellationToken ct) =>
            TypedResults.Ok(await prompts.VersionsAsync(ws.WorkspaceId, id, ct)))
            .WithSummary("All versions of the prompt, oldest first");

        group.MapPost("/{id:int}/versions", async Task<Created<PromptDto>> (int id, AddPromptVersionRequest request, PromptService prompts, WorkspaceContext ws, CancellationToken ct) =>
        {
            var prompt = await prompts.AddVersionAsync(ws, id, request, ct);
            return TypedResults.Created($"/api/prompts/{prompt.Id}", prompt);
        }).WithSummary("Add a version; it becomes the latest");

        return api;
    }
}
