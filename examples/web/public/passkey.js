// "Add a passkey" and "Use a passkey": the browser's WebAuthn call needs a
// script; its answer (credential.toJSON()) goes back in a plain form post.
for (const button of document.querySelectorAll('button[data-passkey]')) {
  const form = button.closest('form');
  if (!(button instanceof HTMLButtonElement) || !form || !window.PublicKeyCredential) continue;
  const options = JSON.parse(button.dataset.options ?? '{}');
  const field = form.querySelector('input[type=hidden]');
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      const credential =
        button.dataset.passkey === 'create'
          ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
          : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
      if (!(credential instanceof PublicKeyCredential) || !(field instanceof HTMLInputElement)) return;
      field.value = JSON.stringify(credential.toJSON());
      form.submit();
    } catch {
      button.textContent = 'The browser did not make a passkey answer: try again';
    }
  });
}
