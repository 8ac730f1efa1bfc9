// PromptStudio's small browser helpers, called from Blazor through JS interop.
window.promptStudio = {
  // Saves a file the server streamed (a DotNetStreamReference) under the given name.
  download: async (fileName, contentType, streamRef) => {
    const buffer = await streamRef.arrayBuffer();
    const url = URL.createObjectURL(new Blob([buffer], { type: contentType }));
    const link = document.createElement("a");
    link.href = url;
    link.download = fileName;
    document.body.appendChild(link);
    link.click();
    link.remove();
    URL.revokeObjectURL(url);
  },
};
