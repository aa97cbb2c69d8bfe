//! The text of the mail Sidecar sends.

const SIGNATURE: &str = "\n-- \nSidecar, the SMART on FHIR app marketplace\n";

pub fn verify_email(link: &str) -> String {
    format!(
        "Welcome to Sidecar.\n\nConfirm your email address by opening this link within 24 hours:\n\n{link}\n\nIf you did not sign up, ignore this mail: no account is active until the address is confirmed.\n{SIGNATURE}"
    )
}

pub fn signup_with_existing_account(login: &str, forgot: &str) -> String {
    format!(
        "Someone, perhaps you, tried to create a Sidecar account with this email address, but it already has one.\n\nSign in: {login}\nForgot your password? Reset it: {forgot}\n\nIf it was not you, you need do nothing: your account is unchanged.\n{SIGNATURE}"
    )
}

pub fn reset_password(link: &str) -> String {
    format!(
        "A password reset was requested for your Sidecar account.\n\nChoose a new password by opening this link within one hour:\n\n{link}\n\nIf you did not ask for this, ignore this mail: your password is unchanged.\n{SIGNATURE}"
    )
}

pub fn invitation(kind: &str, name: &str, role: &str, signup: &str) -> String {
    format!(
        "You have been invited to join the {kind} \"{name}\" on Sidecar as {role}.\n\nCreate your account with this email address to accept: {signup}\n{SIGNATURE}"
    )
}

pub fn version_published(slug: &str, number: i32, link: &str) -> String {
    format!("Version {number} of your app \"{slug}\" passed review and is now published:\n\n{link}\n{SIGNATURE}")
}

pub fn version_rejected(slug: &str, number: i32, reason: &str) -> String {
    format!(
        "Version {number} of your app \"{slug}\" was not approved. The reviewer wrote:\n\n{reason}\n\nEdit the draft in the developer console and submit it again.\n{SIGNATURE}"
    )
}

pub fn added_to_organisation(name: &str, role: &str, console: &str) -> String {
    format!("You were added to the publisher organisation \"{name}\" on Sidecar as {role}.\n\nIts apps are in your developer console: {console}\n{SIGNATURE}")
}

pub fn added_to_tenant(name: &str, role: &str, console: &str) -> String {
    format!("You were added to the health system \"{name}\" on Sidecar as {role}.\n\nIts installs and settings are in the tenant console: {console}\n{SIGNATURE}")
}

pub fn tenant_application_approved(name: &str, console: &str) -> String {
    format!("Your application is approved: the tenant \"{name}\" exists and you are its admin.\n\nOpen its console to install apps and invite your colleagues: {console}\n{SIGNATURE}")
}

pub fn tenant_application_rejected(name: &str, reason: &str) -> String {
    format!("Your application for the tenant \"{name}\" was not approved.\n\nThe reviewer wrote: {reason}\n\nYou can apply again with the changes asked for.\n{SIGNATURE}")
}

pub fn provisioning_needs_you(
    app: &str,
    server: &str,
    state: &str,
    error: &str,
    console: &str,
) -> String {
    format!("Sidecar could not keep the app \"{app}\" provisioned at your authorization server \"{server}\": provisioning is {state}.\n\nWhat happened: {error}\n\nSee the install and retry it in the tenant console: {console}\n{SIGNATURE}")
}
