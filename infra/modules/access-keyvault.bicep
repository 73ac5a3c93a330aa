// Key Vault roles for one app identity.
// - Key Vault Secrets User on the vault: resolve the Key Vault references in app settings.
// - Key Vault Secrets Officer on the Azure OpenAI key copy only, and only for the region that
//   runs secret rotation: the job writes the regenerated key there and may touch no other secret.

@description('Key Vault name.')
param keyVaultName string

@description('Object id of the app system-assigned identity.')
param principalId string

@description('Whether this identity runs secret rotation.')
param grantRotation bool

@description('Secret the rotation job may write (the Azure OpenAI key copy).')
param rotatedSecretName string

var secretsUserRoleId = '4633458b-17de-408a-b874-0445c86b69e6'
var secretsOfficerRoleId = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource rotatedSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: rotatedSecretName
}

resource readSecrets 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, principalId, secretsUserRoleId)
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsUserRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

resource writeRotatedSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantRotation) {
  name: guid(rotatedSecret.id, principalId, secretsOfficerRoleId)
  scope: rotatedSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', secretsOfficerRoleId)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
